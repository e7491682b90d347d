package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Terraform refreshes two resources at a time here (-parallelism=2), so six shops on
// one host would cost three read commands, a round trip each across a network. The
// host's roots are remembered from the run before: the next plan reads them in two
// commands, the first read's and the read ahead of the others (a session of its own).
func TestAccReadAhead_planReadsTheHostOnce(t *testing.T) {
	r := newRig(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // this test's memory of roots, read by the provider binary
	var shops []string
	for i := range 6 {
		root := r.repo.NewRoot(t, filepath.Join(t.TempDir(), fmt.Sprintf("shop%d", i)), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
		shops = append(shops, fmt.Sprintf("%q", root))
	}
	config := requireProvider + r.providerConfig() + fleetConfig(shops, "")
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.must("apply", "-auto-approve", "-no-color", "-parallelism=2")
	if files, _ := filepath.Glob(filepath.Join(cache, "terraform-provider-magento", "roots", "*.json")); len(files) != 1 {
		t.Fatalf("want the host's roots remembered in one file, found %q", files)
	}

	statsFile := filepath.Join(t.TempDir(), "stats.json")
	w.env = append(w.env, "TF_MAGENTO_STATS_FILE="+statsFile)
	w.must("plan", "-no-color", "-parallelism=2", "-detailed-exitcode") // exit 0: no changes
	var stats remote.StatsSnapshot
	b, err := os.ReadFile(statsFile)
	if err == nil {
		err = json.Unmarshal(b, &stats)
	}
	if err != nil || stats.Commands != 2 {
		t.Fatalf("refreshing 6 shops of one host took %d remote commands, want 2 (%v)", stats.Commands, err)
	}
}

// Two shops planned once; one leaves the configuration (and state), and its
// composer.lock becomes a FIFO (a hung NFS mount: a read blocks). The next plan of the
// other is clean, and the memory forgets the one that left: the plan after reads
// only the shop it asks for.
func TestAccReadAhead_aHangingRememberedRootCostsNothing(t *testing.T) {
	r := newRig(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // this test's memory of roots, read by the provider binary
	kept := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "kept"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	gone := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "gone"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	shopHCL := func(name, root string) string {
		return fmt.Sprintf("\nresource \"magento_data_migration_tool\" %q {\n  host         = \"127.0.0.1\"\n  magento_root = %q\n}\n", name, root)
	}
	w := newCLIWorkspace(t, map[string]string{"main.tf": requireProvider + r.providerConfig() + shopHCL("kept", kept) + shopHCL("gone", gone)})
	w.must("apply", "-auto-approve", "-no-color")

	w.must("state", "rm", "magento_data_migration_tool.gone")
	w.write("main.tf", requireProvider+r.providerConfig()+shopHCL("kept", kept))
	lock := filepath.Join(gone, "composer.lock")
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(lock, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // lets a reader still blocked on the FIFO go
		if f, err := os.OpenFile(lock, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	memory, _ := filepath.Glob(filepath.Join(cache, "terraform-provider-magento", "roots", "*.json"))
	if len(memory) != 1 {
		t.Fatalf("want the host's roots remembered in one file, found %q", memory)
	}
	if b, _ := os.ReadFile(memory[0]); !strings.Contains(string(b), gone) {
		t.Fatalf("the memory does not hold %s: %s", gone, b)
	}

	started := time.Now()
	w.must("plan", "-no-color", "-detailed-exitcode") // exit 0: no changes, no error
	if took := time.Since(started); took > time.Minute {
		t.Fatalf("the plan took %s: it waited for the hanging root", took)
	}
	if b, _ := os.ReadFile(memory[0]); strings.Contains(string(b), gone) || !strings.Contains(string(b), kept) {
		t.Fatalf("after a plan that did not ask for %s, the memory still holds it (or lost %s): %s", gone, kept, b)
	}
}
