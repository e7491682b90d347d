package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// smallPackages is the lock size of the 500- and 1000-install rows: 1000 copies of a
// 500-package install would be 3.4 GB.
const smallPackages = 100

// scenario is one row of plans: a fleet of roots spread over hosts, planned in a
// Terraform working directory of its own.
type scenario struct {
	name      string
	hosts     []*testenv.SSHD
	endpoints []endpoint // per host: direct, or through a latency proxy
	shops     string     // the set of shop copies its roots are the first of (sets share no root)
	size      int        // installs
	packages  int        // per install (0: -packages)
	roots     []string   // roots[i] is on hosts[i%len(hosts)]
	plotted   bool       // a point of the plot (fleet size against plan time)
	// drifted roots (the first ones) lag Magento once set up, so that their plans list
	// releases; inSync is the row of the same fleet in sync, measured beside it.
	drifted      int
	inSync       *scenario
	composer     *composerCounter // the Composer every row's resources run, counting
	tfDir        string
	tfDirBefore  string // the earlier revision's workspace, when -before is set
	results      map[string][]time.Duration
	conns        []float64
	sess         []float64
	commands     []float64
	bytes        []float64
	rss          []int64
	composerRuns []composerTally // per plan
}

// scenarios are the rows whose name contains o.only, with the in-sync rows the drifted
// ones among them are compared with; their shops are copied from the fleet's templates.
func (f *fleet) scenarios(o options) ([]*scenario, error) {
	hosts := f.hosts
	sync20 := &scenario{name: "20 installs, 1 host", hosts: hosts[:1], shops: "shops", size: 20, plotted: true}
	sync100 := &scenario{name: "100 installs, 4 hosts", hosts: hosts[:4], shops: "shops", size: 100, plotted: true}
	sync1000 := &scenario{name: "1000 installs, 10 hosts", hosts: hosts, shops: "small-shops", size: 1000, plotted: true, packages: smallPackages}
	all := []*scenario{
		sync20,
		{name: "100 installs, 1 host", hosts: hosts[:1], shops: "shops", size: 100},
		sync100,
		{name: "100 installs, 4 hosts, all drifted", hosts: hosts[:4], shops: "all-drifted-shops", size: 100, drifted: 100, inSync: sync100},
		{name: "20 installs, 5 drifted", hosts: hosts[:1], shops: "drift-shops", size: 20, drifted: 5, inSync: sync20},
	}
	if o.rtt > 0 {
		proxied := make([]endpoint, 4)
		for i, h := range hosts[:4] {
			var err error
			if proxied[i], err = proxy(h, f.key, o.rtt, filepath.Join(f.dir, "proxies")); err != nil {
				return nil, err
			}
		}
		all = append(all, &scenario{name: fmt.Sprintf("100 installs, 4 hosts, %s RTT", o.rtt), hosts: hosts[:4], endpoints: proxied, shops: "shops", size: 100})
	}
	all = append(all, &scenario{name: "500 installs, 5 hosts", hosts: hosts[:5], shops: "small-shops", size: 500, plotted: true, packages: smallPackages},
		sync1000,
		&scenario{name: "1000 installs, 10 hosts, all drifted", hosts: hosts, shops: "small-all-drifted-shops", size: 1000, packages: smallPackages, drifted: 1000, inSync: sync1000})
	kept := map[*scenario]bool{}
	for _, s := range all {
		if strings.Contains(s.name, o.only) {
			kept[s] = true
			if s.inSync != nil {
				kept[s.inSync] = true
			}
		}
	}
	scenarios := slices.DeleteFunc(all, func(s *scenario) bool { return !kept[s] })
	composer, err := writeComposerCounter(f.dir, "composer-plan")
	if err != nil {
		return nil, err
	}
	sizes := map[string]int{} // each set of shops is as large as its largest row
	for _, s := range scenarios {
		sizes[s.shops] = max(sizes[s.shops], s.size)
	}
	for _, s := range scenarios {
		if s.packages == 0 {
			s.packages = f.packages
		}
		if s.endpoints == nil {
			s.endpoints = f.direct[:len(s.hosts)]
		}
		s.composer = composer
		roots, err := f.shopSet(s.shops, s.packages, sizes[s.shops])
		if err != nil {
			return nil, err
		}
		s.roots = roots[:s.size]
	}
	return scenarios, nil
}

// setUp adopts the row's roots in a Terraform working directory at tfDir (and one for
// the before revision, when there is one), then makes its drifted roots lag.
func (s *scenario) setUp(tfDir, terraform string, p providers) error {
	s.results = map[string][]time.Duration{}
	s.tfDir = tfDir
	if err := s.adopt(s.tfDir, terraform, p.env); err != nil {
		return fmt.Errorf("%s: initial apply: %w", s.name, err)
	}
	if p.before != nil {
		s.tfDirBefore = s.tfDir + "-before"
		if err := s.adopt(s.tfDirBefore, terraform, p.before); err != nil {
			return fmt.Errorf("%s: initial apply (before): %w", s.name, err)
		}
	}
	for _, root := range s.roots[:s.drifted] {
		if err := downgradeTool(root); err != nil {
			return err
		}
	}
	return nil
}

// adopt writes the row's configuration in dir and applies it: the roots, all in sync
// still, come into that directory's state.
func (s *scenario) adopt(dir, terraform string, env []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(s.config()), 0o644); err != nil {
		return err
	}
	if out, err := tf(terraform, dir, env, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

func (s *scenario) host(i int) endpoint { return s.endpoints[i%len(s.endpoints)] }

func (s *scenario) config() string {
	h := s.hosts[0]
	var items []string
	for i, root := range s.roots {
		items = append(items, fmt.Sprintf("    { root = %q, port = %d, known_hosts = %q }", root, s.host(i).port, s.host(i).knownHosts))
	}
	return fmt.Sprintf(`terraform {
  required_providers {
    magento = { source = "magento-ops/magento" }
  }
}

provider "magento" {
  ssh {
    user             = %q
    private_key_file = %q
    agent            = false
  }
}

locals {
  shops = [
%s
  ]
}

resource "magento_data_migration_tool" "shop" {
  count        = length(local.shops)
  host         = "127.0.0.1"
  magento_root = local.shops[count.index].root
  composer     = %q
  ssh {
    port             = local.shops[count.index].port
    known_hosts_file = local.shops[count.index].known_hosts
  }
}
`, testenv.TestUser, h.ClientKey, strings.Join(items, ",\n"), s.composer.path)
}
