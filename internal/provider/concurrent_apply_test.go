package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Two Terraform working directories apply to one root at once (two pipelines): one
// upgrades, the other fails on the lock with a message that names the holder; then
// composer.json is valid, the tool is at the right version, and both plans are empty.
func TestAccDataMigrationTool_twoAppliesOnOneRoot(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	// Composer's require takes a few seconds, so the two applies overlap.
	slow := filepath.Join(t.TempDir(), "composer-slow")
	if err := os.WriteFile(slow, []byte("#!/bin/sh\n[ \"$1\" = require ] && sleep 4\nexec composer \"$@\"\n"), 0o755); err != nil { //nolint:gosec // a test wrapper
		t.Fatal(err)
	}
	config := requireProvider + r.dmtConfig(root, fmt.Sprintf("  composer = %q", slow))
	var dirs []*cliWorkspace
	for range 2 {
		w := newCLIWorkspace(t, map[string]string{"main.tf": config})
		w.must("apply", "-auto-approve", "-no-color") // adopt: in sync, no composer
		dirs = append(dirs, w)
	}
	r.composer(t, root, "require", "magento/data-migration-tool:2.4.6")

	outs, errs := make([]string, 2), make([]error, 2)
	var wg sync.WaitGroup
	for i, w := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = w.run("apply", "-auto-approve", "-no-color")
		}()
	}
	wg.Wait()
	failed := 0
	for i := range dirs {
		if errs[i] != nil {
			failed++
			if flat := strings.Join(strings.Fields(outs[i]), " "); !strings.Contains(flat, "another apply holds the lock on this Magento root") {
				t.Fatalf("apply %d failed without naming the lock:\n%s", i, outs[i])
			}
		}
	}
	if failed != 1 {
		t.Fatalf("want exactly one apply refused by the lock, %d were:\n%s\n---\n%s", failed, outs[0], outs[1])
	}
	b, err := os.ReadFile(filepath.Join(root, "composer.json"))
	var manifest map[string]any
	if err != nil || json.Unmarshal(b, &manifest) != nil {
		t.Fatalf("composer.json is not valid JSON: %v\n%s", err, b)
	}
	if err := requires(root, "2.4.7")(nil); err != nil {
		t.Fatal(err)
	}
	for i, w := range dirs {
		if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
			t.Fatalf("the plan in directory %d is not empty (%v):\n%s", i, err, out)
		}
	}
}
