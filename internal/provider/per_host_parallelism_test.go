package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// composerCounter is a composer command that records, as each run starts, how many
// runs (itself included) are going on at that moment. The peak of a run's count is
// the most Composer runs there ever were at once: a new peak begins with a start.
func composerCounter(t *testing.T) (command string, peak func() (most int, runs []string)) {
	t.Helper()
	dir := t.TempDir()
	running, log := filepath.Join(dir, "running"), filepath.Join(dir, "starts")
	if err := os.Mkdir(running, 0o755); err != nil {
		t.Fatal(err)
	}
	command = filepath.Join(dir, "composer-counter")
	script := fmt.Sprintf(`#!/bin/sh
touch %[1]s/$$
echo "$(ls %[1]s | wc -l) $1" >> %[2]s
composer "$@"
rc=$?
rm -f %[1]s/$$
exit $rc
`, running, log)
	if err := os.WriteFile(command, []byte(script), 0o755); err != nil { //nolint:gosec // a test wrapper
		t.Fatal(err)
	}
	return command, func() (int, []string) {
		b, _ := os.ReadFile(log)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		most := 0
		for _, line := range lines {
			n, _ := strconv.Atoi(strings.Fields(line + " 0")[0])
			most = max(most, n)
		}
		return most, lines
	}
}

// The day after a Magento security release, every shop of a web node lags: six drifted
// roots on one host, one terraform apply -parallelism=10. Composer never runs more than
// per_host_parallelism times at once on the host (the plan's release listing and the
// upgrades alike), and all six are upgraded.
func TestAccDataMigrationTool_perHostParallelism(t *testing.T) {
	r := newRig(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the provider's release lists and roots memory
	template := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	for _, tc := range []struct {
		name  string
		limit string // the provider argument; "" = the default
		peak  int
	}{
		{"default", "", 2},
		{"one at a time", "1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var roots []string
			for i := range 6 {
				root := filepath.Join(t.TempDir(), fmt.Sprintf("shop%d", i))
				if out, err := exec.Command("cp", "-a", template, root).CombinedOutput(); err != nil {
					t.Fatalf("cp: %v %s", err, out)
				}
				roots = append(roots, fmt.Sprintf("%q", root))
			}
			counter, peak := composerCounter(t)
			provider := r.sshd.ProviderHCL()
			if tc.limit != "" {
				provider = strings.Replace(provider, "provider \"magento\" {\n", "provider \"magento\" {\n  per_host_parallelism = "+tc.limit+"\n", 1)
			}
			config := requireProvider + provider + fleetConfig(roots, fmt.Sprintf("  composer          = %q\n  composer_env      = %s\n  remove_on_destroy = false\n",
				counter, r.composerEnvHCL()))
			w := newCLIWorkspace(t, map[string]string{"main.tf": config})
			w.must("apply", "-auto-approve", "-no-color", "-parallelism=10")

			most, runs := peak()
			if most != tc.peak {
				t.Errorf("at most %d Composer runs were going on at once on the host, want %d; each run's count as it started:\n%s",
					most, tc.peak, strings.Join(runs, "\n"))
			}
			if len(runs) != 7 {
				t.Errorf("want 7 Composer runs (one listing for the six roots, an upgrade per root), got %d:\n%s", len(runs), strings.Join(runs, "\n"))
			}
			for _, root := range roots {
				root, _ = strconv.Unquote(root)
				if err := requires(root, "2.4.7")(nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// fleetConfig is a magento_data_migration_tool.shop per root (each quoted) on the rig's
// host; extra holds more arguments, one per line.
func fleetConfig(quotedRoots []string, extra string) string {
	return fmt.Sprintf(`
locals {
  shops = [%s]
}

resource "magento_data_migration_tool" "shop" {
  count        = length(local.shops)
  host         = "127.0.0.1"
  magento_root = local.shops[count.index]
%s}
`, strings.Join(quotedRoots, ", "), extra)
}

// Two pipelines apply to one web node at once (two working directories, two Terraform
// processes, per_host_parallelism = 1 in both): the limit holds on the host, so never
// more than one Composer runs there (a plan's release listing counts, as an apply's
// require does), the waiting apply logs who holds the slot, and all four shops are
// upgraded.
func TestAccDataMigrationTool_perHostParallelismHoldsAcrossTerraformRuns(t *testing.T) {
	r := newRig(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	template := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	dir := t.TempDir()
	running, starts := filepath.Join(dir, "running"), filepath.Join(dir, "starts")
	if err := os.Mkdir(running, 0o755); err != nil {
		t.Fatal(err)
	}
	// Each require and each listing (show) counts the Composer runs going on as it starts,
	// and takes a while.
	counter := filepath.Join(dir, "composer-runs")
	script := fmt.Sprintf("#!/bin/sh\ncase \"$1\" in require|show) ;; *) exec composer \"$@\" ;; esac\n"+
		"touch %[1]s/$$\nls %[1]s | wc -l >> %[2]s.$1\nsleep 1\ncomposer \"$@\"\nrc=$?\nrm -f %[1]s/$$\nexit $rc\n", running, starts)
	if err := os.WriteFile(counter, []byte(script), 0o755); err != nil { //nolint:gosec // a test wrapper
		t.Fatal(err)
	}
	provider := strings.Replace(r.sshd.ProviderHCL(), "provider \"magento\" {\n", "provider \"magento\" {\n  per_host_parallelism = 1\n", 1)
	var workspaces []*cliWorkspace
	var logs, roots []string
	for w := range 2 {
		var quoted []string
		for i := range 2 {
			root := filepath.Join(t.TempDir(), fmt.Sprintf("shop%d-%d", w, i))
			if out, err := exec.Command("cp", "-a", template, root).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v %s", err, out)
			}
			quoted, roots = append(quoted, fmt.Sprintf("%q", root)), append(roots, root)
		}
		ws := newCLIWorkspace(t, map[string]string{"main.tf": requireProvider + provider + fleetConfig(quoted,
			fmt.Sprintf("  composer          = %q\n  composer_env      = %s\n  remove_on_destroy = false\n", counter, r.composerEnvHCL()))})
		log := filepath.Join(dir, fmt.Sprintf("terraform-%d.log", w))
		ws.env = append(ws.env, "TF_LOG_PROVIDER=INFO", "TF_LOG_PATH="+log)
		workspaces, logs = append(workspaces, ws), append(logs, log)
	}
	outs, errs := make([]string, 2), make([]error, 2)
	var wg sync.WaitGroup
	for i, ws := range workspaces {
		wg.Go(func() { outs[i], errs[i] = ws.run("apply", "-auto-approve", "-no-color") })
	}
	wg.Wait()
	for i := range workspaces {
		if errs[i] != nil {
			t.Fatalf("apply %d failed: %v\n%s", i, errs[i], outs[i])
		}
	}
	b, _ := os.ReadFile(starts + ".require")
	counts := strings.Fields(string(b))
	if len(counts) != 4 {
		t.Errorf("want 4 composer require runs, one per shop, got %d: %v", len(counts), counts)
	}
	b, _ = os.ReadFile(starts + ".show")
	shows := strings.Fields(string(b))
	if len(shows) != 2 {
		t.Errorf("want 2 release listings, one per run, got %d: %v", len(shows), shows)
	}
	for _, n := range append(counts, shows...) {
		if n != "1" {
			t.Errorf("Composer ran beside another on the host (per_host_parallelism = 1 in both runs); running at each require's start: %v, at each listing's: %v", counts, shows)
			break
		}
	}
	waited := false
	for _, log := range logs {
		b, _ := os.ReadFile(log)
		if regexp.MustCompile(`waiting for a Composer slot on 127\.0\.0\.1: per_host_parallelism = 1, held by PID [0-9]+`).Match(b) {
			waited = true
		}
	}
	if !waited {
		t.Error("neither run logged its wait for the host's Composer slot naming the holder")
	}
	for _, root := range roots {
		if err := requires(root, "2.4.7")(nil); err != nil {
			t.Error(err)
		}
	}
}
