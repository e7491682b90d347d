// Command bench measures `terraform plan` over many Magento installs against the plain
// OpenSSH way of checking them, against the floor (one connection per host reading
// just the needed bytes) and against a build of the provider whose Read returns the
// prior state (what the plugin framework itself costs a refresh), interleaved in one
// run, and prints medians and ratios; then a fleet apply (20 drifted roots on one host,
// per_host_parallelism 1, 2 and 4) against sequential `composer require` by hand. It
// builds everything with the test rig: real sshd, real Composer, 500-package installs.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// The bench re-executes itself as the provider (through a symlink of that name) to
// record the real provider's peak memory.
const (
	providerName = "terraform-provider-magento"
	realEnv      = "BENCH_REAL_PROVIDER"
	rssEnv       = "BENCH_RSS_FILE"
	statsEnv     = "TF_MAGENTO_STATS_FILE"
)

func main() {
	if filepath.Base(os.Args[0]) == providerName {
		os.Exit(wrapProvider())
	}
	dir := flag.String("dir", ".bench", "work directory (removed and recreated)")
	terraform := flag.String("terraform", "terraform", "Terraform CLI")
	runs := flag.Int("runs", 5, "measured runs per scenario")
	packages := flag.Int("packages", 500, "packages per install (composer.lock size)")
	only := flag.String("only", "", "run only the scenarios whose name contains this text (e.g. \"20 installs\")")
	rtt := flag.Duration("rtt", 40*time.Millisecond, "round-trip time of the latency rows (0: none)")
	plot := flag.String("plot", "", "write the plot of plan time against fleet size (SVG) here")
	before := flag.String("before", "", "a checkout of an earlier revision: its provider's plans are timed in the same runs (column before)")
	hold := flag.Bool("hold", false, "after setting up, print how to plan each scenario by hand and wait for Ctrl-C (nothing is measured)")
	flag.Parse()
	if err := run(options{*dir, *terraform, *runs, *packages, *only, *rtt, *plot, *before, *hold}); err != nil {
		fmt.Fprintf(os.Stderr, "bench failed: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	dir, terraform string
	runs, packages int
	only           string
	rtt            time.Duration
	plot           string
	before         string
	hold           bool
}

// endpoint is how every contender reaches a host: its sshd, or a latency proxy in front.
type endpoint struct {
	port       int
	knownHosts string
	key        string
}

// smallPackages is the lock size of the 500- and 1000-install rows: 1000 copies of a
// 500-package install would be 3.4 GB.
const smallPackages = 100

// plainSample bounds the installs the plain OpenSSH way visits in a run: at 1000 installs
// it would take over ten minutes a run. Larger fleets are timed on their first
// plainSample installs and scaled (it is one ssh per install, 10 at a time: linear).
const plainSample = 100

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

func run(o options) (err error) {
	dir, terraform, runs, packages, only := o.dir, o.terraform, o.runs, o.packages, o.only
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	rig := &testenv.Standalone{Dir: filepath.Join(dir, "rig")}
	defer rig.Close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()

	fmt.Println("building the provider and the fixtures...")
	realProvider := filepath.Join(dir, "bin", "real", providerName)
	if out, err := exec.Command("go", "build", "-o", realProvider, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	// The refresh's floor: the same provider with a Read that hands back the prior state
	// (what the plugin framework itself costs); the tag never reaches a release.
	floorProvider := filepath.Join(dir, "bin", "readfloor", providerName)
	if out, err := exec.Command("go", "build", "-tags", "benchfloor", "-o", floorProvider, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build -tags benchfloor: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	wrapDir := filepath.Join(dir, "bin", "wrap")
	if err := os.MkdirAll(wrapDir, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(self, filepath.Join(wrapDir, providerName)); err != nil {
		return err
	}
	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"magento-ops/magento\" = %q\n  }\n  direct {}\n}\n", wrapDir)), 0o644); err != nil {
		return err
	}

	// Every contender logs in as the rig's unprivileged user, whose shell is sh: the
	// machine's own root may run heavy rc files on every login (pyenv init here costs
	// 0.8 s), which would time root's dotfiles rather than the ways of reading a shop.
	testenv.EnsureUser(rig)
	hosts := make([]*testenv.SSHD, 10)
	for i := range hosts {
		hosts[i] = testenv.StartSSHD(rig, testenv.SSHDOptions{})
		hosts[i].AuthorizeKey(rig, hosts[0].ClientKeyPub) // one key for the fleet
	}
	direct := make([]endpoint, len(hosts))
	for i, h := range hosts {
		direct[i] = endpoint{port: h.Port, knownHosts: h.KnownHosts, key: hosts[0].ClientKey}
	}
	repo := testenv.NewRepo(rig)
	template := repo.NewRoot(rig, filepath.Join(dir, "template"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7", Extra: packages})
	roots, err := copies(template, filepath.Join(dir, "shops"), 100)
	if err != nil {
		return err
	}
	driftRoots, err := copies(template, filepath.Join(dir, "drift-shops"), 20) // their drift must not reach the others
	if err != nil {
		return err
	}
	spy := filepath.Join(dir, "bin", "composer-spy")
	composerLog := filepath.Join(dir, "composer-calls")
	if err := os.WriteFile(spy, []byte("#!/bin/sh\necho \"$1\" >> "+composerLog+"\nexec composer \"$@\"\n"), 0o755); err != nil { //nolint:gosec // the bench's spy
		return err
	}
	scenarios := []*scenario{
		{name: "20 installs, 1 host", hosts: hosts[:1], roots: roots[:20], plotted: true},
		{name: "100 installs, 1 host", hosts: hosts[:1], roots: roots},
		{name: "100 installs, 4 hosts", hosts: hosts[:4], roots: roots, plotted: true},
		{name: "20 installs, 5 drifted", hosts: hosts[:1], roots: driftRoots, drifted: 5, composerLog: composerLog},
	}
	if o.rtt > 0 {
		proxied := make([]endpoint, 4)
		for i, h := range hosts[:4] {
			if proxied[i], err = proxy(h, hosts[0].ClientKey, o.rtt, filepath.Join(dir, "proxies")); err != nil {
				return err
			}
		}
		scenarios = append(scenarios, &scenario{name: fmt.Sprintf("100 installs, 4 hosts, %s RTT", o.rtt), hosts: hosts[:4], endpoints: proxied, roots: roots})
	}
	scenarios = append(scenarios, &scenario{name: "500 installs, 5 hosts", hosts: hosts[:5], size: 500, plotted: true, packages: smallPackages},
		&scenario{name: "1000 installs, 10 hosts", hosts: hosts, size: 1000, plotted: true, packages: smallPackages})
	scenarios = slices.DeleteFunc(scenarios, func(s *scenario) bool { return !strings.Contains(s.name, only) })
	var small []string // the 500- and 1000-install rows share their roots
	for _, s := range scenarios {
		if s.packages == 0 {
			s.packages = packages
		}
		if s.endpoints == nil {
			s.endpoints = direct[:len(s.hosts)]
		}
		if s.roots != nil {
			continue
		}
		if small == nil {
			smallTemplate := repo.NewRoot(rig, filepath.Join(dir, "small-template"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7", Extra: smallPackages})
			if small, err = copies(smallTemplate, filepath.Join(dir, "small-shops"), 1000); err != nil {
				return err
			}
		}
		s.roots = small[:s.size]
	}
	if err := readableByTheLoginUser(dir); err != nil {
		return err
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", realEnv + "=" + realProvider}
	envFloor := []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", realEnv + "=" + floorProvider}
	var apply *applyRow
	if strings.Contains(applyRowName, only) {
		lagging := repo.NewRoot(rig, filepath.Join(dir, "lagging-template"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6", Extra: packages})
		if apply, err = newApplyRow(dir, template, lagging, direct[0], hosts[0].ClientKey, terraform, env); err != nil {
			return err
		}
	}
	var envBefore []string
	if o.before != "" {
		beforeProvider := filepath.Join(dir, "bin", "before", providerName)
		build := exec.Command("go", "build", "-o", beforeProvider, ".")
		build.Dir = o.before
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build in %s: %v\n%s", o.before, err, out)
		}
		envBefore = []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", realEnv + "=" + beforeProvider}
	}
	for i, s := range scenarios {
		s.results = map[string][]time.Duration{}
		s.tfDir = filepath.Join(dir, fmt.Sprintf("tf%d", i))
		if err := os.MkdirAll(s.tfDir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.tfDir, "main.tf"), []byte(s.config()), 0o644); err != nil {
			return err
		}
		if out, err := tf(terraform, s.tfDir, env, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
			return fmt.Errorf("%s: initial apply: %v\n%s", s.name, err, out)
		}
		if envBefore != nil {
			s.tfDirBefore = s.tfDir + "-before"
			if err := os.MkdirAll(s.tfDirBefore, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(s.tfDirBefore, "main.tf"), []byte(s.config()), 0o644); err != nil {
				return err
			}
			if out, err := tf(terraform, s.tfDirBefore, envBefore, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
				return fmt.Errorf("%s: initial apply (before): %v\n%s", s.name, err, out)
			}
		}
		for _, root := range s.roots[:s.drifted] {
			if err := downgradeTool(root); err != nil {
				return err
			}
		}
	}

	if o.hold {
		return holdForHand(scenarios, terraform, env)
	}
	fmt.Printf("measuring %d interleaved runs...\n", runs)
	for r := range runs {
		for _, s := range scenarios {
			if err := s.measurePlans(r, terraform, env, envBefore, envFloor, dir); err != nil {
				return err
			}
			s.results["plain"] = append(s.results["plain"], s.timePlain())
			s.results["floor"] = append(s.results["floor"], timed(func() error { return s.floor() }))
		}
		if apply != nil {
			if err := apply.measure(r, terraform, env); err != nil {
				return err
			}
		}
		fmt.Printf("  run %d/%d done\n", r+1, runs)
	}
	report(scenarios, runs)
	if apply != nil {
		apply.report(runs)
	}
	if o.plot != "" {
		return writePlot(o.plot, scenarios)
	}
	return nil
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

// measurePlans times this provider's plan, the before revision's and the plan without
// refresh back to back, in an order that turns with run r: whatever the machine does
// between them (the plain contender's PHP, another row) weighs on each in turn, not
// always on the one that comes first.
func (s *scenario) measurePlans(r int, terraform string, env, envBefore, envFloor []string, dir string) error {
	noRefresh := func() error {
		out, err := tf(terraform, s.tfDir, env, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color")
		if err != nil {
			return fmt.Errorf("%s: plan -refresh=false: %v\n%s", s.name, err, out)
		}
		return nil
	}
	steps := []func() error{
		func() error { return s.measurePlan(terraform, env, dir) },
		func() error { s.results["norefresh"] = append(s.results["norefresh"], timed(noRefresh)); return nil },
	}
	if s.drifted == 0 { // the floor build sees no drift: its plans would not list releases
		steps = append(steps, func() error {
			s.results["readfloor"] = append(s.results["readfloor"], timed(func() error { return s.plan(terraform, s.tfDir, envFloor) }))
			return nil
		})
	}
	if s.tfDirBefore != "" {
		steps = append(steps, func() error {
			s.results["before"] = append(s.results["before"], timed(func() error { return s.plan(terraform, s.tfDirBefore, envBefore) }))
			return nil
		})
	}
	for i := range steps {
		if err := steps[(i+r)%len(steps)](); err != nil {
			return err
		}
	}
	return nil
}

// plan runs `terraform plan` in dir: no changes, or changes where roots drifted.
func (s *scenario) plan(terraform, dir string, env []string) error {
	out, err := tf(terraform, dir, env, "plan", "-input=false", "-lock=false", "-detailed-exitcode", "-no-color")
	var exit *exec.ExitError
	if err == nil || (s.drifted > 0 && errors.As(err, &exit) && exit.ExitCode() == 2) {
		return nil
	}
	return fmt.Errorf("%s: plan: %v\n%s", s.name, err, out)
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

// measurePlan times one `terraform plan` (refresh of every resource) and records the
// connections and sessions sshd saw, the transport's bytes and the provider's peak RSS.
func (s *scenario) measurePlan(terraform string, env []string, dir string) error {
	statsFile, rssFile := filepath.Join(dir, "stats.json"), filepath.Join(dir, "rss")
	_ = os.Remove(statsFile)
	_ = os.Remove(rssFile)
	before := s.sshdCounts()
	started := time.Now()
	if s.composerLog != "" {
		if err := writableByAll(s.composerLog); err != nil { // the spy runs as the login user
			return err
		}
	}
	out, err := tf(terraform, s.tfDir, append(env, statsEnv+"="+statsFile, rssEnv+"="+rssFile),
		"plan", "-input=false", "-lock=false", "-detailed-exitcode", "-no-color")
	elapsed := time.Since(started)
	var exit *exec.ExitError
	switch {
	case s.drifted > 0 && errors.As(err, &exit) && exit.ExitCode() == 2: // changes, as expected
	case s.drifted > 0:
		return fmt.Errorf("%s: the plan shows no drift or failed: %v\n%s", s.name, err, out)
	case err != nil:
		return fmt.Errorf("%s: plan was not empty or failed: %v\n%s", s.name, err, out)
	}
	if s.composerLog != "" {
		b, _ := os.ReadFile(s.composerLog)
		s.composerRuns = append(s.composerRuns, float64(strings.Count(string(b), "\n")))
	}
	after := s.sshdCounts()
	n := float64(len(s.roots))
	s.results["plan"] = append(s.results["plan"], elapsed)
	s.conns = append(s.conns, float64(after[0]-before[0]))
	s.sess = append(s.sess, float64(after[1]-before[1])/n)
	var stats remote.StatsSnapshot
	if b, err := os.ReadFile(statsFile); err == nil && json.Unmarshal(b, &stats) == nil {
		s.bytes = append(s.bytes, float64(stats.SentBytes+stats.StdoutBytes+stats.StderrBytes)/n)
		s.commands = append(s.commands, float64(stats.Commands))
	}
	if b, err := os.ReadFile(rssFile); err == nil {
		kb, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		s.rss = append(s.rss, kb)
	}
	return nil
}

// sshdCounts sums logins and sessions over the scenario's hosts, from their logs.
func (s *scenario) sshdCounts() [2]int {
	var c [2]int
	for _, h := range s.hosts {
		log := h.Log()
		c[0] += strings.Count(log, "Accepted publickey")
		c[1] += strings.Count(log, "Starting session")
	}
	return c
}

func sshArgs(h endpoint) []string {
	return []string{"-i", h.key, "-p", strconv.Itoa(h.port), "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + h.knownHosts,
		"-o", "StrictHostKeyChecking=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none", testenv.TestUser + "@127.0.0.1"}
}

// plainOpenSSH is what operators script: one ssh per install, booting PHP for
// bin/magento and Composer, 10 at a time (Terraform's default parallelism). It visits
// at most plainSample installs; timePlain scales the time to the whole fleet.
func (s *scenario) plainOpenSSH() error {
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	errs := make(chan error, len(s.roots))
	for i, root := range s.roots[:min(len(s.roots), plainSample)] {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cmd := "cd " + shell.Quote(root) + " && php bin/magento --version && COMPOSER_ALLOW_SUPERUSER=1 composer show --no-interaction magento/data-migration-tool"
			if out, err := exec.Command("ssh", append(sshArgs(s.host(i)), cmd)...).CombinedOutput(); err != nil {
				errs <- fmt.Errorf("plain ssh: %v %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// floor is one OpenSSH connection per host that reads just the needed bytes of all its
// installs.
func (s *scenario) floor() error {
	var wg sync.WaitGroup
	errs := make(chan error, len(s.endpoints))
	for hi, h := range s.endpoints {
		var script strings.Builder
		for i, root := range s.roots {
			if i%len(s.endpoints) == hi {
				fmt.Fprintf(&script, "grep -E -A1 '\"name\": \"magento/(product-community-edition|data-migration-tool)\"' %s %s;",
					shell.Quote(root+"/composer.lock"), shell.Quote(root+"/vendor/composer/installed.json"))
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command("ssh", append(sshArgs(h), script.String())...).CombinedOutput(); err != nil {
				errs <- fmt.Errorf("floor ssh: %v %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// timePlain times the plain OpenSSH way over the fleet (scaled from its sample).
func (s *scenario) timePlain() time.Duration {
	elapsed := timed(s.plainOpenSSH)
	if len(s.roots) > plainSample {
		elapsed = elapsed * time.Duration(len(s.roots)) / plainSample
	}
	return elapsed
}

func timed(f func() error) time.Duration {
	started := time.Now()
	if err := f(); err != nil {
		panic(err)
	}
	return time.Since(started)
}

func tf(terraform, dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command(terraform, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(scenarios []*scenario, runs int) {
	fmt.Printf("\nmedians of %d runs (lowest-highest)\n", runs)
	fmt.Printf("%-32s %20s %12s %19s %10s %10s %8s %19s %6s %9s %10s %12s\n", "scenario", "tf plan", "(no refresh)", "plan/nr", "plain ssh", "floor",
		"plan/pl", "plan/fl", "conns", "cmds/plan", "bytes/res", "provider RSS")
	var compared []string
	for _, s := range scenarios {
		if before := s.results["before"]; len(before) > 0 {
			compared = append(compared, fmt.Sprintf("%-32s before %.2fs (%.2f-%.2f), now %.2fs: %.2fx", s.name, median(before).Seconds(), slices.Min(before).Seconds(),
				slices.Max(before).Seconds(), median(s.results["plan"]).Seconds(), median(s.results["plan"]).Seconds()/median(before).Seconds()))
		}
		plan, plain, fl := median(s.results["plan"]), median(s.results["plain"]), median(s.results["floor"])
		// plan/floor and plan/no refresh of each run: how much the machine's noise moves the ratios
		var perRun, perRunNR []float64
		for i := range s.results["plan"] {
			perRun = append(perRun, s.results["plan"][i].Seconds()/s.results["floor"][i].Seconds())
			perRunNR = append(perRunNR, s.results["plan"][i].Seconds()/s.results["norefresh"][i].Seconds())
		}
		nr := median(s.results["norefresh"])
		sampled := ""
		if len(s.roots) > plainSample {
			sampled = "*"
		}
		fmt.Printf("%-32s %7.2fs (%4.2f-%-5.2f) %11.2fs %5.2f (%4.2f-%-5.2f) %8.2fs%1s %9.2fs %8.3f %5.2f (%4.2f-%-5.2f) %6.0f %9.0f %10.0f %9.1f MiB\n", s.name,
			plan.Seconds(), slices.Min(s.results["plan"]).Seconds(), slices.Max(s.results["plan"]).Seconds(),
			nr.Seconds(), plan.Seconds()/nr.Seconds(), slices.Min(perRunNR), slices.Max(perRunNR), plain.Seconds(), sampled, fl.Seconds(), plan.Seconds()/plain.Seconds(), plan.Seconds()/fl.Seconds(),
			slices.Min(perRun), slices.Max(perRun), median(s.conns), median(s.commands), median(s.bytes), float64(median(s.rss))/1024)
	}
	fmt.Println("\nthe refresh against the plugin framework's own cost: the same plans through a build whose Read returns the prior state (-tags benchfloor)")
	for _, s := range scenarios {
		rf := s.results["readfloor"]
		if len(rf) == 0 {
			continue
		}
		var perRun []float64
		for i := range rf {
			perRun = append(perRun, s.results["plan"][i].Seconds()/rf[i].Seconds())
		}
		fmt.Printf("%-32s Read = prior state %.2fs (%.2f-%.2f), plan %.2fs: plan/rf %.2f (%.2f-%.2f)\n", s.name, median(rf).Seconds(), slices.Min(rf).Seconds(),
			slices.Max(rf).Seconds(), median(s.results["plan"]).Seconds(), median(s.results["plan"]).Seconds()/median(rf).Seconds(), slices.Min(perRun), slices.Max(perRun))
	}
	if len(compared) > 0 {
		fmt.Println("\nterraform plan with the -before revision's provider, in the same runs:")
		fmt.Println(strings.Join(compared, "\n"))
	}
	var inSync, drifted *scenario
	for _, s := range scenarios {
		switch {
		case s.drifted > 0:
			drifted = s
		case len(s.roots) == 20:
			inSync = s
		}
	}
	if inSync != nil && drifted != nil {
		fmt.Printf("\n%s: plan %.2fs = %.2fx the all-in-sync 20-install plan (%.2fs); composer runs per plan: %.0f (one listing per drifted root: %d)\n",
			drifted.name, median(drifted.results["plan"]).Seconds(), median(drifted.results["plan"]).Seconds()/median(inSync.results["plan"]).Seconds(),
			median(inSync.results["plan"]).Seconds(), median(drifted.composerRuns), drifted.drifted)
	}
	fmt.Println("\nplan/nr = terraform plan / terraform plan -refresh=false (what refreshing costs); (lowest-highest) of the runs")
	fmt.Println("plan/pl = terraform plan / plain OpenSSH (one ssh per install, php bin/magento + composer show, 10 at a time;")
	fmt.Printf("          * = timed on %d of the installs and scaled to all)\n", plainSample)
	fmt.Println("plan/fl = terraform plan / floor (one ssh per host reading the needed bytes of all its installs); (lowest-highest) of the runs")
	fmt.Println("conns = SSH logins per plan (sshd logs); cmds/plan = remote commands per plan; bytes/res = sent + received by the provider's transport per resource")
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
