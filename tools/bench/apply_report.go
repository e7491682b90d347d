package main

import (
	"fmt"
	"slices"
)

func (a *applyRow) report(runs int) {
	fmt.Printf("\nfleet apply: %d drifted roots (500 packages each) on one host, medians of %d runs (lowest-highest)\n", len(a.roots), runs)
	fmt.Printf("%-34s %22s %14s %16s %16s %18s  %s\n", "contender", "wall time", "/ by hand", "/ as documented", "/ (by hand 1)/n", "Composer at once", "Composer runs (most in a run)")
	sequential := median(a.wall[byHandAt(1)])
	for _, limit := range a.limits {
		hand, documented := median(a.wall[byHandAt(limit)]), median(a.wall[documentedAt(limit)])
		for _, name := range []string{byHandAt(limit), documentedAt(limit), planAt(limit), applyAt(limit)} {
			w := a.wall[name]
			peaks := make([]int64, len(a.tallies[name]))
			for i, t := range a.tallies[name] {
				peaks[i] = int64(t.peak)
			}
			ratios := fmt.Sprintf("%14s %16s %16s", "-", "-", "-")
			if name != planAt(limit) {
				ratios = fmt.Sprintf("%14.2f %16.2f %16.2f", median(w).Seconds()/hand.Seconds(), median(w).Seconds()/documented.Seconds(),
					median(w).Seconds()/(sequential.Seconds()/float64(limit)))
			}
			fmt.Printf("%-34s %7.2fs (%5.2f-%-6.2f) %s %10d (%d-%d)  %s\n", name, median(w).Seconds(), slices.Min(w).Seconds(), slices.Max(w).Seconds(),
				ratios, median(peaks), slices.Min(peaks), slices.Max(peaks), describeRuns(a.tallies[name]))
		}
	}
	fmt.Println("/ by hand = against the same upgrades by hand, as many at a time (/ as documented: by hand as documented); / (by hand 1)/n = against the upgrades by hand one at a time,")
	fmt.Println("  divided by n, the contender's runs at a time (per_host_parallelism): perfect scaling, which Composer's CPU on a 2-core host bounds")
	fmt.Println("Composer at once = the most Composer runs going on together on the host, counted by a wrapper (median, lowest-highest)")
	fmt.Println("by hand = `composer require magento/data-migration-tool:" + applyTarget + "` in each root over one OpenSSH connection, n lanes one after another;")
	fmt.Println("as documented = by hand after the upstream procedure's steps before Composer: `php bin/magento --version` (a stub) and a copy of the tool's directory;")
	fmt.Println("plan = terraform plan -out (refresh, one release listing per host); apply = terraform apply of that plan (a backup of each root, then Composer)")
}
