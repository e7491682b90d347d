package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// applyRow is a fleet apply the day after a Magento security release: every root of
// one host lags, and Terraform (default -parallelism, 10) plans their upgrades into a
// saved plan and applies it, with per_host_parallelism 1, 2 and 4, against the floor of
// the same upgrades by hand: `composer require` calls over one OpenSSH connection, 1, 2
// and 4 at a time. A Composer counter on the host records every run (by subcommand,
// root and host) and how many went on at once; an apply that lists releases, or runs
// other than one `require` per root, fails the bench.
type applyRow struct {
	host     endpoint
	key      string
	roots    []string
	lagging  string // an install whose tool lags Magento for real (2.4.6 installed and locked)
	limits   []int
	dirs     map[int]string // Terraform working directory per per_host_parallelism
	composer *composerCounter
	wall     map[string][]time.Duration // per contender (byHandAt, planAt, applyAt)
	tallies  map[string][]composerTally // per contender, its Composer runs
}

const applyTarget = "2.4.7"

// The contenders of the apply row at each limit: by hand, and Terraform's plan and the
// apply of that saved plan.
func byHandAt(limit int) string { return fmt.Sprintf("by hand, %d at a time", limit) }
func documentedAt(limit int) string {
	return fmt.Sprintf("as documented, %d at a time", limit)
}
func planAt(limit int) string     { return fmt.Sprintf("plan, per_host_parallelism %d", limit) }
func applyAt(limit int) string    { return fmt.Sprintf("apply, per_host_parallelism %d", limit) }
func savedPlan(dir string) string { return filepath.Join(dir, "upgrade.tfplan") }

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
		wall: map[string][]time.Duration{}, tallies: map[string][]composerTally{}}
	for _, d := range []string{filepath.Join(dir, "apply-shops"), lagging} {
		if out, err := exec.Command("chown", "-R", testenv.TestUser+":", d).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v %s", err, out)
		}
	}
	if a.composer, err = writeComposerCounter(dir, "composer-apply"); err != nil {
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
`, limit, testenv.TestUser, a.host.port, a.key, a.host.knownHosts, len(a.roots), strings.Join(quoted, ", "), a.composer.path)
}

// measure times each contender once, in an order that turns with run r, every root
// lagging before each.
func (a *applyRow) measure(r int, terraform string, env []string) error {
	var steps []func() error
	for _, limit := range a.limits {
		steps = append(steps,
			func() error { return a.measureByHand(limit, false) },
			func() error { return a.measureByHand(limit, true) },
			func() error { return a.measureTerraform(limit, terraform, env) })
	}
	for i := range steps {
		if err := a.lag(); err != nil {
			return err
		}
		if err := steps[(i+r)%len(steps)](); err != nil {
			return err
		}
	}
	return nil
}

// measureByHand times the upgrades by hand, limit at a time: Composer alone, or as the
// upstream procedure documents it (documented).
func (a *applyRow) measureByHand(limit int, documented bool) error {
	name := byHandAt(limit)
	if documented {
		name = documentedAt(limit)
	}
	t, err := a.counted(name, func() error { return a.byHand(limit, documented) })
	if err != nil {
		return err
	}
	return a.upgradedOnce(name, t)
}

// measureTerraform times a plan saved to a file, then its apply, each with its own count
// of Composer runs; the apply must run one require per root and nothing else.
func (a *applyRow) measureTerraform(limit int, terraform string, env []string) error {
	dir := a.dirs[limit]
	plan := func() error {
		out, err := tf(terraform, dir, env, "plan", "-input=false", "-no-color", "-out="+savedPlan(dir))
		if err != nil {
			return fmt.Errorf("apply row, %s: %v\n%s", planAt(limit), err, out)
		}
		return nil
	}
	apply := func() error {
		out, err := tf(terraform, dir, env, "apply", "-input=false", "-no-color", savedPlan(dir))
		if err != nil {
			return fmt.Errorf("apply row, %s: %v\n%s", applyAt(limit), err, out)
		}
		return nil
	}
	if _, err := a.counted(planAt(limit), plan); err != nil {
		return err
	}
	t, err := a.counted(applyAt(limit), apply)
	if err != nil {
		return err
	}
	return a.upgradedOnce(applyAt(limit), t)
}

// counted times run as the contender name and tallies its Composer runs.
func (a *applyRow) counted(name string, run func() error) (composerTally, error) {
	if err := a.composer.reset(); err != nil {
		return composerTally{}, err
	}
	started := time.Now()
	if err := run(); err != nil {
		return composerTally{}, err
	}
	a.wall[name] = append(a.wall[name], time.Since(started))
	runs, err := a.composer.runs()
	if err != nil {
		return composerTally{}, err
	}
	t := tally(runs)
	a.tallies[name] = append(a.tallies[name], t)
	return t, nil
}

// upgradedOnce fails unless t is exactly one require in each root and no listing: what
// an apply of a saved plan runs (and the upgrades by hand).
func (a *applyRow) upgradedOnce(name string, t composerTally) error {
	if t.listings > 0 {
		return fmt.Errorf("apply row, %s: Composer listed releases %d times (an apply of a saved plan lists none): %v", name, t.listings, t.listingsByHost)
	}
	for _, root := range a.roots {
		if n := t.requiresByRoot[root]; n != 1 {
			return fmt.Errorf("apply row, %s: composer require ran %d times in %s (one per drifted root)", name, n, root)
		}
	}
	if len(t.requiresByRoot) != len(a.roots) {
		return fmt.Errorf("apply row, %s: composer require ran outside the roots: %v", name, t.requiresByRoot)
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

// byHand is the floor: one OpenSSH connection, the upgrades limit at a time (the roots
// dealt round to limit lanes, each one after another). documented adds what the upstream
// procedure (../shared/reference) asks before Composer: Magento's version
// (bin/magento --version, a stub here: a real Magento boots) and a copy of the tool's
// directory.
func (a *applyRow) byHand(limit int, documented bool) error {
	lanes := make([]strings.Builder, limit)
	for i, root := range a.roots {
		fmt.Fprintf(&lanes[i%limit], "cd %s\n", shell.Quote(root))
		if documented {
			fmt.Fprintf(&lanes[i%limit], "php bin/magento --version >/dev/null\nrm -rf %[1]s && cp -a vendor/magento/data-migration-tool %[1]s\n",
				shell.Quote(root+".dmt-backup"))
		}
		fmt.Fprintf(&lanes[i%limit], "%s require %s --no-interaction --no-progress --quiet\n",
			shell.Quote(a.composer.path), shell.Quote("magento/data-migration-tool:"+applyTarget))
	}
	var script strings.Builder
	for i := range lanes {
		fmt.Fprintf(&script, "(\nset -e\n%s) &\nlane%d=$!\n", lanes[i].String(), i)
	}
	script.WriteString("rc=0\n")
	for i := range lanes {
		fmt.Fprintf(&script, "wait $lane%d || rc=1\n", i)
	}
	script.WriteString("exit $rc\n")
	if out, err := exec.Command("ssh", append(sshArgs(a.host), script.String())...).CombinedOutput(); err != nil { //nolint:gosec // the bench's own hosts
		return fmt.Errorf("apply row, by hand (%d at a time): %v\n%s", limit, err, out)
	}
	return nil
}

// applyRowName is what -only matches for the apply row.
const applyRowName = "fleet apply, 20 drifted, 1 host"
