package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

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
	fmt.Printf("%-38s %20s %12s %19s %10s %10s %8s %19s %6s %9s %9s %10s %12s\n", "scenario", "tf plan", "(no refresh)", "plan/nr", "plain ssh", "floor",
		"plan/pl", "plan/fl", "conns", "cmds/plan", "composer", "bytes/res", "provider RSS")
	var compared []string
	for _, s := range scenarios {
		if before := s.results["before"]; len(before) > 0 {
			compared = append(compared, fmt.Sprintf("%-38s before %.2fs (%.2f-%.2f), now %.2fs: %.2fx", s.name, median(before).Seconds(), slices.Min(before).Seconds(),
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
		composer := make([]float64, len(s.composerRuns))
		for i, t := range s.composerRuns {
			composer[i] = float64(t.runs)
		}
		fmt.Printf("%-38s %7.2fs (%4.2f-%-5.2f) %11.2fs %5.2f (%4.2f-%-5.2f) %8.2fs%1s %9.2fs %8.3f %5.2f (%4.2f-%-5.2f) %6.0f %9.0f %9.0f %10.0f %9.1f MiB\n", s.name,
			plan.Seconds(), slices.Min(s.results["plan"]).Seconds(), slices.Max(s.results["plan"]).Seconds(),
			nr.Seconds(), plan.Seconds()/nr.Seconds(), slices.Min(perRunNR), slices.Max(perRunNR), plain.Seconds(), sampled, fl.Seconds(), plan.Seconds()/plain.Seconds(), plan.Seconds()/fl.Seconds(),
			slices.Min(perRun), slices.Max(perRun), median(s.conns), median(s.commands), median(composer), median(s.bytes), float64(median(s.rss))/1024)
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
		fmt.Printf("%-38s Read = prior state %.2fs (%.2f-%.2f), plan %.2fs: plan/rf %.2f (%.2f-%.2f)\n", s.name, median(rf).Seconds(), slices.Min(rf).Seconds(),
			slices.Max(rf).Seconds(), median(s.results["plan"]).Seconds(), median(s.results["plan"]).Seconds()/median(rf).Seconds(), slices.Min(perRun), slices.Max(perRun))
	}
	if len(compared) > 0 {
		fmt.Println("\nterraform plan with the -before revision's provider, in the same runs:")
		fmt.Println(strings.Join(compared, "\n"))
	}
	reportDrift(scenarios)
	fmt.Println("\nplan/nr = terraform plan / terraform plan -refresh=false (what refreshing costs); (lowest-highest) of the runs")
	fmt.Println("plan/pl = terraform plan / plain OpenSSH (one ssh per install, php bin/magento + composer show, 10 at a time;")
	fmt.Printf("          * = timed on %d of the installs and scaled to all)\n", plainSample)
	fmt.Println("plan/fl = terraform plan / floor (one ssh per host reading the needed bytes of all its installs); (lowest-highest) of the runs")
	fmt.Println("conns = SSH logins per plan (sshd logs); cmds/plan = remote commands per plan; composer = Composer runs per plan (a wrapper on the hosts);")
	fmt.Println("          bytes/res = sent + received by the provider's transport per resource")
}

// driftGoal is how much slower than the same fleet in sync a plan of a fleet that
// drifted entirely may be, listing releases at most once per host.
const driftGoal = 1.5

// reportDrift compares each drifted row with its fleet in sync, run by run.
func reportDrift(scenarios []*scenario) {
	header := false
	for _, s := range scenarios {
		if s.inSync == nil || len(s.inSync.results["plan"]) == 0 {
			continue
		}
		if !header {
			fmt.Printf("\ndrifted fleets against the same fleets in sync, in the same runs (goal where all drifted: within %.1fx, at most one listing per host)\n", driftGoal)
			fmt.Printf("%-38s %20s %20s %19s %-40s %s\n", "scenario", "plan", "in sync", "drifted/in sync", "Composer runs per plan (most in a run)", "goal")
			header = true
		}
		plan, inSync := s.results["plan"], s.inSync.results["plan"]
		var perRun []float64
		for i := range plan {
			perRun = append(perRun, plan[i].Seconds()/inSync[i].Seconds())
		}
		ratio := median(plan).Seconds() / median(inSync).Seconds()
		goal := "-"
		if s.drifted == len(s.roots) {
			goal = "met"
			for _, t := range s.composerRuns {
				if t.mostListingsOnOneHost() > 1 {
					goal = "missed (listings)"
				}
			}
			if ratio > driftGoal {
				goal = "missed (time)"
			}
		}
		fmt.Printf("%-38s %7.2fs (%4.2f-%-5.2f) %7.2fs (%4.2f-%-5.2f) %5.2f (%4.2f-%-5.2f) %-40s %s\n", s.name,
			median(plan).Seconds(), slices.Min(plan).Seconds(), slices.Max(plan).Seconds(), median(inSync).Seconds(), slices.Min(inSync).Seconds(), slices.Max(inSync).Seconds(),
			ratio, slices.Min(perRun), slices.Max(perRun), describeRuns(s.composerRuns), goal)
	}
}
