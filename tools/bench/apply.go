package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// applyRow is a fleet apply the day after a Magento security release: every root of
// one host lags, and one `terraform apply` (default -parallelism, 10) upgrades them with
// per_host_parallelism 1, 2 and 4, against the floor of the same upgrades by hand:
// sequential `composer require` calls over one OpenSSH connection. A Composer counter
// on the host records how many runs were going on at once.
type applyRow struct {
	host    endpoint
	key     string
	roots   []string
	lagging string // an install whose tool lags Magento for real (2.4.6 installed and locked)
	limits  []int
	dirs    map[int]string // Terraform working directory per per_host_parallelism
	counter string         // the composer command both contenders run
	starts  string         // the counter's log: runs going on as each started
	wall    map[string][]time.Duration
	peak    map[string][]int
	runs    map[string][]int
}

const applyTarget = "2.4.7"

// newApplyRow copies the template into roots the login user owns (the apply's lock and
// backups must be the applying user's) and adopts them in one working directory per
// limit, all in sync. lagging is the same install with the tool at 2.4.6: each
// contender starts from its Composer files (drift edited into installed.json alone
// leaves Composer nothing to install).
func newApplyRow(dir, template, lagging string, host endpoint, key, terraform string, env []string) (*applyRow, error) {
	roots, err := copies(template, filepath.Join(dir, "apply-shops"), 20)
	if err != nil {
		return nil, err
	}
	a := &applyRow{host: host, key: key, roots: roots, lagging: lagging, limits: []int{1, 2, 4}, dirs: map[int]string{},
		wall: map[string][]time.Duration{}, peak: map[string][]int{}, runs: map[string][]int{}}
	for _, d := range []string{filepath.Join(dir, "apply-shops"), lagging} {
		if out, err := exec.Command("chown", "-R", testenv.TestUser+":", d).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v %s", err, out)
		}
	}
	running := filepath.Join(dir, "composer-running")
	if err := os.Mkdir(running, 0o777); err != nil {
		return nil, err
	}
	if err := os.Chmod(running, 0o777); err != nil { //nolint:gosec // the login user's counter writes here
		return nil, err
	}
	a.starts = filepath.Join(dir, "composer-starts")
	a.counter = filepath.Join(dir, "bin", "composer-counter")
	script := fmt.Sprintf("#!/bin/sh\ntouch %[1]s/$$\necho \"$(ls %[1]s | wc -l) $1\" >> %[2]s\ncomposer \"$@\"\nrc=$?\nrm -f %[1]s/$$\nexit $rc\n",
		shell.Quote(running), shell.Quote(a.starts))
	if err := os.WriteFile(a.counter, []byte(script), 0o755); err != nil { //nolint:gosec // the bench's counter
		return nil, err
	}
	for _, limit := range a.limits {
		a.dirs[limit] = filepath.Join(dir, fmt.Sprintf("tf-apply-p%d", limit))
		if err := os.MkdirAll(a.dirs[limit], 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(a.dirs[limit], "main.tf"), []byte(a.config(limit)), 0o644); err != nil { //nolint:gosec // no secrets
			return nil, err
		}
		if out, err := tf(terraform, a.dirs[limit], env, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
			return nil, fmt.Errorf("apply row: initial apply: %v\n%s", err, out)
		}
	}
	return a, nil
}

func (a *applyRow) config(limit int) string {
	quoted := make([]string, len(a.roots))
	for i, r := range a.roots {
		quoted[i] = strconv.Quote(r)
	}
	return fmt.Sprintf(`terraform {
  required_providers {
    magento = { source = "magento-ops/magento" }
  }
}

provider "magento" {
  per_host_parallelism = %d
  ssh {
    user             = %q
    port             = %d
    private_key_file = %q
    known_hosts_file = %q
    agent            = false
  }
}

resource "magento_data_migration_tool" "shop" {
  count        = %d
  host         = "127.0.0.1"
  magento_root = [%s][count.index]
  composer     = %q
}
`, limit, testenv.TestUser, a.host.port, a.key, a.host.knownHosts, len(a.roots), strings.Join(quoted, ", "), a.counter)
}

// measure times each contender once, in an order that turns with run r, every root
// drifted before each.
func (a *applyRow) measure(r int, terraform string, env []string) error {
	names := []string{"by hand"}
	for _, limit := range a.limits {
		names = append(names, fmt.Sprintf("per_host_parallelism %d", limit))
	}
	for i := range names {
		name := names[(i+r)%len(names)]
		if err := a.lag(); err != nil {
			return err
		}
		if err := writableByAll(a.starts); err != nil {
			return err
		}
		var run func() error
		if name == "by hand" {
			run = a.byHand
		} else {
			limit, _ := strconv.Atoi(strings.TrimPrefix(name, "per_host_parallelism "))
			run = func() error {
				if out, err := tf(terraform, a.dirs[limit], env, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
					return fmt.Errorf("apply row, %s: %v\n%s", name, err, out)
				}
				return nil
			}
		}
		a.wall[name] = append(a.wall[name], timed(run))
		peak, runs, err := a.counted()
		if err != nil {
			return err
		}
		a.peak[name], a.runs[name] = append(a.peak[name], peak), append(a.runs[name], runs)
	}
	return nil
}

// lag puts every root back to the tool at 2.4.6, installed and locked, as Composer left
// the lagging install (owners kept: cp -a as root).
func (a *applyRow) lag() error {
	var script strings.Builder
	for _, root := range a.roots {
		r, l := shell.Quote(root), shell.Quote(a.lagging)
		fmt.Fprintf(&script, "rm -rf %[1]s/vendor/composer %[1]s/vendor/magento/data-migration-tool && cp -a %[2]s/composer.json %[2]s/composer.lock %[1]s/ && "+
			"cp -a %[2]s/vendor/composer %[1]s/vendor/ && cp -a %[2]s/vendor/magento/data-migration-tool %[1]s/vendor/magento/\n", r, l)
	}
	if out, err := exec.Command("sh", "-ec", script.String()).CombinedOutput(); err != nil {
		return fmt.Errorf("apply row, lagging the roots: %v\n%s", err, out)
	}
	return nil
}

// byHand is the floor: one OpenSSH connection, the 20 upgrades one after another.
func (a *applyRow) byHand() error {
	var script strings.Builder
	script.WriteString("set -e\n")
	for _, root := range a.roots {
		fmt.Fprintf(&script, "cd %s && %s require %s --no-interaction --no-progress --quiet\n",
			shell.Quote(root), shell.Quote(a.counter), shell.Quote("magento/data-migration-tool:"+applyTarget))
	}
	if out, err := exec.Command("ssh", append(sshArgs(a.host), script.String())...).CombinedOutput(); err != nil { //nolint:gosec // the bench's own hosts
		return fmt.Errorf("apply row, by hand: %v\n%s", err, out)
	}
	return nil
}

// counted is the most Composer runs going on at once and the runs of the last contender.
func (a *applyRow) counted() (peak, runs int, err error) {
	b, err := os.ReadFile(a.starts)
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if n, err := strconv.Atoi(strings.Fields(line + " 0")[0]); err == nil && line != "" {
			peak, runs = max(peak, n), runs+1
		}
	}
	return peak, runs, nil
}

func (a *applyRow) report(runs int) {
	fmt.Printf("\nfleet apply: %d drifted roots (500 packages each) on one host, medians of %d runs (lowest-highest)\n", len(a.roots), runs)
	hand := median(a.wall["by hand"])
	fmt.Printf("%-26s %22s %12s %20s %14s\n", "contender", "wall time", "/ by hand", "Composer at once", "Composer runs")
	names := []string{"by hand"}
	for _, limit := range a.limits {
		names = append(names, fmt.Sprintf("per_host_parallelism %d", limit))
	}
	for _, name := range names {
		w := a.wall[name]
		peaks := make([]int64, len(a.peak[name]))
		for i, p := range a.peak[name] {
			peaks[i] = int64(p)
		}
		fmt.Printf("%-26s %7.2fs (%5.2f-%-6.2f) %12.2f %12d (%d-%d) %14d\n", name, median(w).Seconds(), slices.Min(w).Seconds(), slices.Max(w).Seconds(),
			median(w).Seconds()/hand.Seconds(), median(peaks), slices.Min(peaks), slices.Max(peaks), slices.Max(a.runs[name]))
	}
	fmt.Println("Composer at once = the most Composer runs going on together on the host, counted by a wrapper (median, lowest-highest)")
	fmt.Println("by hand = 20 sequential `composer require magento/data-migration-tool:" + applyTarget + "` over one OpenSSH connection;")
	fmt.Println("an apply also lists releases (one `composer show` per drifted root, in its plan) and backs up each root before Composer")
}

// applyRowName is what -only matches for the apply row.
const applyRowName = "fleet apply, 20 drifted, 1 host"
