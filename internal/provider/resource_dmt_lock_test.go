package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Several web nodes share one root: a lock held by another host is never taken over,
// whether or not a process with its PID exists here. The apply fails before touching
// anything, naming the holder and the command that clears the lock.
func TestAccDataMigrationTool_lockOfAnotherHostIsNeverTakenOver(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	// PID 1 exists on every host: a PID check would call this holder alive or dead by chance.
	lock := leaveLock(t, root, map[string]string{"owner": "1 web2.shop.internal 2026-11-26T03:00:00Z\n"})
	applyFails(t, root, r.dmtConfig(root, ""), regexp.MustCompile(`(?s)locked\s+by\s+an\s+apply\s+on\s+another\s+host:\s+1\s+web2\.shop\.internal\s+2026-11-26T03:00:00Z`+
		`.*never\s+taken\s+over.*rm\s+-rf\s+'`+regexp.QuoteMeta(lock)+`'`))
	if _, err := os.Stat(filepath.Join(lock, "owner")); err != nil {
		t.Error("the other host's lock was removed")
	}
}

// A lock in var/ holding a restore marker (an earlier version's, or one the web user
// planted, naming any archive) is never restored from: the apply is refused, and the
// planted files never land in the root.
func TestAccDataMigrationTool_restoreMarkerInALockIsNeverRestoredFrom(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	planted := t.TempDir()
	if err := os.WriteFile(filepath.Join(planted, "composer.json"), []byte(`{"planted": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "tf-magento-dmt-planted.tar.gz")
	if out, err := exec.Command("tar", "-czf", archive, "-C", planted, "composer.json").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	leaveLock(t, root, map[string]string{"owner": "999999999 " + host + " 2026-11-26T03:00:00Z\n", "changing": archive + "\n"})
	applyFails(t, root, r.dmtConfig(root, ""), regexp.MustCompile(`(?s)earlier\s+version.*`+regexp.QuoteMeta(archive)+`.*Nothing\s+was\s+changed`))
}

// leaveLock leaves root's lock as another apply would, with these files in it.
func leaveLock(t *testing.T, root string, files map[string]string) string {
	t.Helper()
	lock := filepath.Join(root, "var", ".tf-magento-dmt.lock")
	if err := os.MkdirAll(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(lock, name), []byte(content), 0o644); err != nil { //nolint:gosec // as the apply script writes them
			t.Fatal(err)
		}
	}
	return lock
}

// var/ is writable by the web server's user, who can plant a lock whose holder only
// looks dead (no machine or boot id to prove it): it is held, never taken over, and the
// error names the holder and the command that clears the lock.
func TestAccDataMigrationTool_lockOfAHolderNotProvenDeadIsHeld(t *testing.T) {
	r := newRig(t)
	testenv.EnsureWebUser(t)
	uid, gid := testenv.IDs(t, testenv.WebUser)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	lock := leaveLock(t, root, map[string]string{"owner": "999999999 " + host + " 2026-11-26T03:00:00Z\n"})
	chownTree(t, lock, uid, gid)
	applyFails(t, root, r.dmtConfig(root, ""), regexp.MustCompile(`(?s)another\s+apply\s+holds\s+the\s+lock.*999999999.*cannot\s+be\s+told`+
		`.*rm\s+-rf\s+'`+regexp.QuoteMeta(lock)+`'.*Nothing\s+was\s+changed`))
}

// Two Terraform working directories apply to one root at once (two pipelines): one
// upgrades, the other fails on the lock with a message that names the holder; then
// composer.json is valid, the tool is at the right version, and both plans are empty.
func TestAccDataMigrationTool_secondApplyToARootIsRefusedByTheLock(t *testing.T) {
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
