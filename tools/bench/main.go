// Command bench measures `terraform plan` over many Magento installs against the plain
// OpenSSH way of checking them, against the floor (one connection per host reading
// just the needed bytes) and against a build of the provider whose Read returns the
// prior state (what the plugin framework itself costs a refresh), interleaved in one
// run, and prints medians and ratios; fleets that drifted are planned beside the same
// fleets in sync, with the Composer runs of each plan counted on the hosts. Then a fleet
// apply (20 drifted roots on one host, a saved plan applied with per_host_parallelism
// 1, 2 and 4) against the same `composer require` runs by hand, 1, 2 and 4 at a time.
// It builds everything with the test rig: real sshd, real Composer, 500-package installs.
//
// The rows are set up in scenarios.go (on the hosts and shops of fixtures.go), timed in
// measure.go (the contenders other than Terraform in contenders.go) and printed in
// report.go; the fleet apply row is apply.go.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	only := flag.String("only", "", "run only the scenarios whose name contains this text (e.g. \"20 installs\"), and the in-sync rows the drifted ones among them are compared with")
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

// run sets up the hosts, the rows and their Terraform working directories, times the
// rows in interleaved runs and prints the report.
func run(o options) (err error) {
	dir, terraform := o.dir, o.terraform
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
	p, err := buildProviders(dir, o.before)
	if err != nil {
		return err
	}
	f := startFleet(rig, dir, o.packages)
	scenarios, err := f.scenarios(o)
	if err != nil {
		return err
	}
	if err := readableByTheLoginUser(dir); err != nil {
		return err
	}
	var apply *applyRow
	if strings.Contains(applyRowName, o.only) {
		lagging := f.repo.NewRoot(rig, filepath.Join(dir, "lagging-template"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6", Extra: o.packages})
		if apply, err = newApplyRow(dir, f.template, lagging, f.direct[0], f.key, terraform, p.env); err != nil {
			return err
		}
	}
	for i, s := range scenarios {
		if err := s.setUp(filepath.Join(dir, fmt.Sprintf("tf%d", i)), terraform, p); err != nil {
			return err
		}
	}

	if o.hold {
		return holdForHand(scenarios, terraform, p.env)
	}
	fmt.Printf("measuring %d interleaved runs...\n", o.runs)
	for r := range o.runs {
		for _, s := range scenarios {
			if err := s.measure(r, terraform, p, dir); err != nil {
				return err
			}
		}
		if apply != nil {
			if err := apply.measure(r, terraform, p.env); err != nil {
				return err
			}
		}
		fmt.Printf("  run %d/%d done\n", r+1, o.runs)
	}
	report(scenarios, o.runs)
	if apply != nil {
		apply.report(o.runs)
	}
	if o.plot != "" {
		return writePlot(o.plot, scenarios)
	}
	return nil
}
