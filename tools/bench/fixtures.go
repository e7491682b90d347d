package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// endpoint is how every contender reaches a host: its sshd, or a latency proxy in front.
type endpoint struct {
	port       int
	knownHosts string
	key        string
}

// fleet is what the rows are made of: ten sshd hosts that share one client key, an
// offline Composer repository, and a 500-package install to copy shops from.
type fleet struct {
	rig      *testenv.Standalone
	dir      string
	repo     *testenv.Repo
	hosts    []*testenv.SSHD
	direct   []endpoint // per host, its sshd
	key      string     // the client key of every host
	template string     // an install of packages packages
	packages int
	// made on first use: templates by package count, sets of shop copies by name
	templates map[int]string
	sets      map[string][]string
}

// startFleet starts the hosts and installs the template. Every contender logs in as
// the rig's unprivileged user, whose shell is sh: the machine's own root may run heavy
// rc files on every login (pyenv init here costs 0.8 s), which would time root's
// dotfiles rather than the ways of reading a shop.
func startFleet(rig *testenv.Standalone, dir string, packages int) *fleet {
	testenv.EnsureUser(rig)
	f := &fleet{rig: rig, dir: dir, hosts: make([]*testenv.SSHD, 10), packages: packages, templates: map[int]string{}, sets: map[string][]string{}}
	for i := range f.hosts {
		f.hosts[i] = testenv.StartSSHD(rig, testenv.SSHDOptions{})
		f.hosts[i].AuthorizeKey(rig, f.hosts[0].ClientKeyPub) // one key for the fleet
	}
	f.key = f.hosts[0].ClientKey
	f.direct = make([]endpoint, len(f.hosts))
	for i, h := range f.hosts {
		f.direct[i] = endpoint{port: h.Port, knownHosts: h.KnownHosts, key: f.key}
	}
	f.repo = testenv.NewRepo(rig)
	f.template = f.repo.NewRoot(rig, filepath.Join(dir, "template"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7", Extra: packages})
	f.templates[packages] = f.template
	return f
}

// shopSet is the set of n shops named name, copied from an install of packages
// packages on first use. Rows that share a set share its roots; a row whose roots drift
// has a set of its own, so that its drift reaches no other row.
func (f *fleet) shopSet(name string, packages, n int) ([]string, error) {
	if roots, ok := f.sets[name]; ok {
		if len(roots) < n {
			return nil, fmt.Errorf("the set of shops %s holds %d, not %d", name, len(roots), n)
		}
		return roots, nil
	}
	template, ok := f.templates[packages]
	if !ok {
		template = f.repo.NewRoot(f.rig, filepath.Join(f.dir, fmt.Sprintf("template-%d", packages)), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7", Extra: packages})
		f.templates[packages] = template
	}
	roots, err := copies(template, filepath.Join(f.dir, name), n)
	if err != nil {
		return nil, err
	}
	f.sets[name] = roots
	return roots, nil
}

// copies makes n copies of the install template under dir and prints their size.
func copies(template, dir string, n int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	roots := make([]string, n)
	for i := range roots {
		roots[i] = filepath.Join(dir, fmt.Sprintf("shop%04d", i))
		if out, err := exec.Command("cp", "-a", template, roots[i]).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("cp: %v %s", err, out)
		}
	}
	lock, _ := os.Stat(filepath.Join(template, "composer.lock"))
	installed, _ := os.Stat(filepath.Join(template, "vendor/composer/installed.json"))
	fmt.Printf("%d installs in %s: composer.lock %.2f MB, installed.json %.2f MB\n", n, filepath.Base(dir), float64(lock.Size())/1e6, float64(installed.Size())/1e6)
	return roots, nil
}

// proxy puts a latency proxy in front of h, with a known_hosts file for its port.
func proxy(h *testenv.SSHD, key string, rtt time.Duration, dir string) (endpoint, error) {
	p, err := startLatencyProxy(fmt.Sprintf("127.0.0.1:%d", h.Port), rtt)
	if err != nil {
		return endpoint{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return endpoint{}, err
	}
	knownHosts := filepath.Join(dir, fmt.Sprintf("known_hosts_%d", p.port()))
	line := fmt.Sprintf("[127.0.0.1]:%d %s\n", p.port(), h.HostKeyLine)
	if err := os.WriteFile(knownHosts, []byte(line), 0o600); err != nil {
		return endpoint{}, err
	}
	return endpoint{port: p.port(), knownHosts: knownHosts, key: key}, nil
}

// downgradeTool makes root's tool lag Magento (2.4.7 -> 2.4.6) as the reader sees it,
// by editing Composer's installed.json: faster than a composer run over 500 packages.
func downgradeTool(root string) error {
	path := filepath.Join(root, "vendor/composer/installed.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		if strings.Contains(line, `"name": "magento/data-migration-tool"`) && i+1 < len(lines) {
			lines[i+1] = strings.Replace(lines[i+1], `"2.4.7"`, `"2.4.6"`, 1)
		}
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644) //nolint:gosec // a shop's metadata is world-readable
}
