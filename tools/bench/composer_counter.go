package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// composerCounter is a Composer on the host that logs every run, then runs the real
// one: what the provider runs is counted by subcommand, host and root, and how many
// runs went on at once. The plan rows and the apply row each have their own.
type composerCounter struct {
	path    string // the command the contenders run as composer
	log     string // one line per run: at once, sshd port, subcommand, working directory
	running string // a file per run going on
}

// writeComposerCounter writes the counter named name under dir. It runs as the login
// user, who must be able to append to its log and write in its directory of runs.
func writeComposerCounter(dir, name string) (*composerCounter, error) {
	c := &composerCounter{path: filepath.Join(dir, "bin", name), log: filepath.Join(dir, name+".log"), running: filepath.Join(dir, name+"-running")}
	if err := os.MkdirAll(c.running, 0o777); err != nil {
		return nil, err
	}
	if err := os.Chmod(c.running, 0o777); err != nil { //nolint:gosec // the login user's counter writes here
		return nil, err
	}
	// SSH_CONNECTION's last word is the port of the sshd the run came through: the host.
	script := fmt.Sprintf("#!/bin/sh\ntouch %[1]s/$$\necho \"$(ls %[1]s | wc -l) ${SSH_CONNECTION##* } $1 $PWD\" >> %[2]s\ncomposer \"$@\"\nrc=$?\nrm -f %[1]s/$$\nexit $rc\n",
		shell.Quote(c.running), shell.Quote(c.log))
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(c.path, []byte(script), 0o755); err != nil { //nolint:gosec // the bench's counter
		return nil, err
	}
	return c, c.reset()
}

// reset empties the log, before the runs of one contender.
func (c *composerCounter) reset() error { return writableByAll(c.log) }

// composerRun is one line of a counter's log.
type composerRun struct {
	atOnce     int    // runs going on as it started, itself included
	host       string // the sshd port it came through
	subcommand string // show (a release listing), require (an upgrade), ...
	dir        string
}

// runs reads the log since the last reset.
func (c *composerCounter) runs() ([]composerRun, error) {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return nil, err
	}
	var runs []composerRun
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, " ", 4)
		if line == "" {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || len(f) != 4 {
			return nil, fmt.Errorf("the Composer counter's log %s: unexpected line %q", c.log, line)
		}
		runs = append(runs, composerRun{atOnce: n, host: f[1], subcommand: f[2], dir: f[3]})
	}
	return runs, nil
}

// composerTally sums a contender's Composer runs.
type composerTally struct {
	runs, listings int
	peak           int            // the most runs going on at once
	listingsByHost map[string]int // show runs per sshd port
	requiresByRoot map[string]int // require runs per working directory
	other          map[string]int // runs of other subcommands
}

func tally(runs []composerRun) composerTally {
	t := composerTally{runs: len(runs), listingsByHost: map[string]int{}, requiresByRoot: map[string]int{}, other: map[string]int{}}
	for _, r := range runs {
		t.peak = max(t.peak, r.atOnce)
		switch r.subcommand {
		case "show":
			t.listings++
			t.listingsByHost[r.host]++
		case "require":
			t.requiresByRoot[r.dir]++
		default:
			t.other[r.subcommand]++
		}
	}
	return t
}

// mostListingsOnOneHost is the largest number of listings one host ran.
func (t composerTally) mostListingsOnOneHost() int {
	most := 0
	for _, n := range t.listingsByHost {
		most = max(most, n)
	}
	return most
}

// describeRuns counts a contender's Composer runs by subcommand, the most in one run of
// the bench: "show 4 (4 hosts, at most 1 on one), require 20 (20 roots)".
func describeRuns(ts []composerTally) string {
	var listings, hosts, most, requires, roots int
	other := map[string]int{}
	for _, t := range ts {
		listings, hosts, most = max(listings, t.listings), max(hosts, len(t.listingsByHost)), max(most, t.mostListingsOnOneHost())
		n := 0
		for _, c := range t.requiresByRoot {
			n += c
		}
		requires, roots = max(requires, n), max(roots, len(t.requiresByRoot))
		for k, c := range t.other {
			other[k] = max(other[k], c)
		}
	}
	var parts []string
	if listings > 0 {
		parts = append(parts, fmt.Sprintf("show %d (%d hosts, at most %d on one)", listings, hosts, most))
	}
	if requires > 0 {
		parts = append(parts, fmt.Sprintf("require %d (%d roots)", requires, roots))
	}
	keys := make([]string, 0, len(other))
	for k := range other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, other[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
