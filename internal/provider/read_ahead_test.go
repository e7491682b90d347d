package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Terraform refreshes two resources at a time here (-parallelism=2), so six shops on
// one host would cost three read commands, a round trip each across a network. The
// host's roots are remembered from the run before: the next plan reads all six in one
// command.
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
	if err != nil || stats.Commands != 1 {
		t.Fatalf("refreshing 6 shops of one host took %d remote commands, want 1 (%v)", stats.Commands, err)
	}
}
