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
	name        string
	hosts       []*testenv.SSHD
	endpoints   []endpoint // per host: direct, or through a latency proxy
	roots       []string   // roots[i] is on hosts[i%len(hosts)]
	size        int        // installs, for the rows whose roots are made later
	packages    int
	plotted     bool // a point of the plot (fleet size against plan time)
	tfDir       string
	tfDirBefore string // the earlier revision's workspace, when -before is set
	results     map[string][]time.Duration
	conns       []float64
	sess        []float64
	commands    []float64
	bytes       []float64
	rss         []int64
	// drifted roots (the first ones) lag Magento once set up; their plans list
	// releases, counted by a composer spy that logs to composerLog.
	drifted      int
	composerLog  string
	composerRuns []float64
}

// scenarios are the rows whose name contains o.only, their shops copied from the
// fleet's templates.
func (f *fleet) scenarios(o options) ([]*scenario, error) {
	roots, err := copies(f.template, filepath.Join(f.dir, "shops"), 100)
	if err != nil {
		return nil, err
	}
	driftRoots, err := copies(f.template, filepath.Join(f.dir, "drift-shops"), 20) // their drift must not reach the others
	if err != nil {
		return nil, err
	}
	spy := filepath.Join(f.dir, "bin", "composer-spy")
	composerLog := filepath.Join(f.dir, "composer-calls")
	if err := os.WriteFile(spy, []byte("#!/bin/sh\necho \"$1\" >> "+composerLog+"\nexec composer \"$@\"\n"), 0o755); err != nil { //nolint:gosec // the bench's spy
		return nil, err
	}
	hosts := f.hosts
	scenarios := []*scenario{
		{name: "20 installs, 1 host", hosts: hosts[:1], roots: roots[:20], plotted: true},
		{name: "100 installs, 1 host", hosts: hosts[:1], roots: roots},
		{name: "100 installs, 4 hosts", hosts: hosts[:4], roots: roots, plotted: true},
		{name: "20 installs, 5 drifted", hosts: hosts[:1], roots: driftRoots, drifted: 5, composerLog: composerLog},
	}
	if o.rtt > 0 {
		proxied := make([]endpoint, 4)
		for i, h := range hosts[:4] {
			if proxied[i], err = proxy(h, f.key, o.rtt, filepath.Join(f.dir, "proxies")); err != nil {
				return nil, err
			}
		}
		scenarios = append(scenarios, &scenario{name: fmt.Sprintf("100 installs, 4 hosts, %s RTT", o.rtt), hosts: hosts[:4], endpoints: proxied, roots: roots})
	}
	scenarios = append(scenarios, &scenario{name: "500 installs, 5 hosts", hosts: hosts[:5], size: 500, plotted: true, packages: smallPackages},
		&scenario{name: "1000 installs, 10 hosts", hosts: hosts, size: 1000, plotted: true, packages: smallPackages})
	scenarios = slices.DeleteFunc(scenarios, func(s *scenario) bool { return !strings.Contains(s.name, o.only) })
	var small []string // the 500- and 1000-install rows share their roots
	for _, s := range scenarios {
		if s.packages == 0 {
			s.packages = f.packages
		}
		if s.endpoints == nil {
			s.endpoints = f.direct[:len(s.hosts)]
		}
		if s.roots != nil {
			continue
		}
		if small == nil {
			smallTemplate := f.repo.NewRoot(f.rig, filepath.Join(f.dir, "small-template"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7", Extra: smallPackages})
			if small, err = copies(smallTemplate, filepath.Join(f.dir, "small-shops"), 1000); err != nil {
				return nil, err
			}
		}
		s.roots = small[:s.size]
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
	composer := ""
	if s.composerLog != "" {
		composer = fmt.Sprintf("  composer     = %q\n", filepath.Join(filepath.Dir(s.composerLog), "bin", "composer-spy"))
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
%s  ssh {
    port             = local.shops[count.index].port
    known_hosts_file = local.shops[count.index].known_hosts
  }
}
`, testenv.TestUser, h.ClientKey, strings.Join(items, ",\n"), composer)
}
