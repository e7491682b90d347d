package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// measure times the row's contenders once: its plans, then the plain OpenSSH way and
// the floor.
func (s *scenario) measure(r int, terraform string, p providers, dir string) error {
	if err := s.measurePlans(r, terraform, p, dir); err != nil {
		return err
	}
	s.results["plain"] = append(s.results["plain"], s.timePlain())
	s.results["floor"] = append(s.results["floor"], timed(func() error { return s.floor() }))
	return nil
}

// measurePlans times this provider's plan, the before revision's and the plan without
// refresh back to back, in an order that turns with run r: whatever the machine does
// between them (the plain contender's PHP, another row) weighs on each in turn, not
// always on the one that comes first.
func (s *scenario) measurePlans(r int, terraform string, p providers, dir string) error {
	noRefresh := func() error {
		out, err := tf(terraform, s.tfDir, p.env, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color")
		if err != nil {
			return fmt.Errorf("%s: plan -refresh=false: %v\n%s", s.name, err, out)
		}
		return nil
	}
	steps := []func() error{
		func() error { return s.measurePlan(terraform, p.env, dir) },
		func() error { s.results["norefresh"] = append(s.results["norefresh"], timed(noRefresh)); return nil },
	}
	if s.drifted == 0 { // the floor build sees no drift: its plans would not list releases
		steps = append(steps, func() error {
			s.results["readfloor"] = append(s.results["readfloor"], timed(func() error { return s.plan(terraform, s.tfDir, p.floor) }))
			return nil
		})
	}
	if s.tfDirBefore != "" {
		steps = append(steps, func() error {
			s.results["before"] = append(s.results["before"], timed(func() error { return s.plan(terraform, s.tfDirBefore, p.before) }))
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

// measurePlan times one `terraform plan` (refresh of every resource) and records the
// connections and sessions sshd saw, the transport's bytes and the provider's peak RSS.
func (s *scenario) measurePlan(terraform string, env []string, dir string) error {
	statsFile, rssFile := filepath.Join(dir, "stats.json"), filepath.Join(dir, "rss")
	_ = os.Remove(statsFile)
	_ = os.Remove(rssFile)
	if err := s.composer.reset(); err != nil {
		return err
	}
	before := s.sshdCounts()
	started := time.Now()
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
	runs, err := s.composer.runs()
	if err != nil {
		return err
	}
	s.composerRuns = append(s.composerRuns, tally(runs))
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
