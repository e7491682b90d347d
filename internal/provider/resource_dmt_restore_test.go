package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// slowComposer runs composer, signals that it wrote the new version (touching marker),
// then stays busy: an install step that is still running.
func slowComposer(t *testing.T, marker, sleep string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "composer-slow")
	script := "#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\" || exit $?\ntouch '" + marker + "'\nexec sleep " + sleep + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// failingComposer runs composer; its require does the work, then prints say and fails.
func failingComposer(t *testing.T, say string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "composer-fails")
	script := "#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\"\necho '" + say + "'\nexit 1\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil { //nolint:gosec // a test wrapper
		t.Fatal(err)
	}
	return path
}

// gone fails when a process with this exact command line still runs.
func gone(t *testing.T, cmdline string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := exec.Command("pgrep", "-f", "^"+cmdline+"$").Run(); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q is still running", cmdline)
		}
	}
}

// waitUntil polls ok for up to 30 s; any goroutine may call it.
func waitUntil(ok func() bool) bool {
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// waitFor fails the test when ok does not become true; only the test's goroutine may
// call it.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	if !waitUntil(ok) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// A timeout while Composer still runs stops it, restores the backup and releases the
// lock, and says so; the next apply converges.
func TestAccDataMigrationTool_timeoutStopsAndRestores(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := snapshotOf(t, root)
	sleep := "3601.25"
	composer := slowComposer(t, filepath.Join(t.TempDir(), "wrote"), sleep)
	accTest(t, []resource.TestStep{
		{
			Config:      r.dmtConfig(root, fmt.Sprintf("  composer = %q\n  timeouts {\n    create = \"6s\"\n  }", composer)),
			ExpectError: regexp.MustCompile(`Operation Timed Out(.|\n)*interrupted(.|\n)*composer require(.|\n)*deadline\s+exceeded(.|\n)*restored\s+from`),
		},
		{
			PreConfig: func() {
				gone(t, "sleep "+sleep)
				before.expectUnchanged()
				if _, err := os.Stat(filepath.Join(root, "var", ".tf-magento-dmt.lock")); !os.IsNotExist(err) {
					t.Errorf("a timed-out apply left its lock")
				}
			},
			Config:            r.dmtConfig(root, ""),
			ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
		},
	})
}

// The SSH connection is lost (sshd killed) after Composer rewrote the files: the host
// stops Composer and restores the backup on its own, the error says it does, and the
// next apply converges.
func TestAccDataMigrationTool_lostConnectionRestoresOnTheHost(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := snapshotOf(t, root)
	marker := filepath.Join(t.TempDir(), "wrote")
	sleep := "3602.5"
	composer := slowComposer(t, marker, sleep)
	lock := filepath.Join(root, "var", ".tf-magento-dmt.lock")
	killed := make(chan bool, 1)
	accTest(t, []resource.TestStep{
		{
			PreConfig: func() {
				go func() { // once composer has rewritten the files, sshd dies under it
					wrote := waitUntil(func() bool { _, err := os.Stat(marker); return err == nil })
					if wrote {
						r.sshd.Kill()
					}
					killed <- wrote
				}()
			},
			Config:      r.dmtConfig(root, fmt.Sprintf("  composer = %q", composer)),
			ExpectError: regexp.MustCompile(`connection to 127\.0\.0\.1:\d+\s+lost(.|\n)*restores\s+its\s+backup`),
		},
		{
			PreConfig: func() {
				if !<-killed {
					t.Fatal("composer never wrote its files, so sshd was not killed under it")
				}
				// The host cleaned up on its own: the watchdog stopped composer and the
				// apply script restored its backup and released the lock.
				waitFor(t, "the lock to be released", func() bool { _, err := os.Stat(lock); return os.IsNotExist(err) })
				gone(t, "sleep "+sleep)
				before.expectUnchanged()
				r.sshd.Start(t)
			},
			Config:            r.dmtConfig(root, ""),
			ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
		},
	})
}

// A timeout that arrives while the apply restores its backup cannot cut the restore
// short: the files end byte for byte as before, and the error says they were restored.
func TestAccDataMigrationTool_timeoutCannotCutARestoreShort(t *testing.T) {
	sync := t.TempDir()
	hit, goOn := filepath.Join(sync, "hit"), filepath.Join(sync, "go-on")
	// The host's tar pauses in the restore (an extraction of the whole archive) until
	// the test lets it go, after the timeout has passed.
	r := rigWithShim(t, "tar", func(string) string {
		return "if [ \"$1\" = -xzof ] && [ $# -eq 4 ]; then touch " + hit + "; i=0; while [ ! -e " + goOn +
			" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; fi"
	})
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	failing := failingComposer(t, "Installation failed, reverting")
	go func() {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, err := os.Stat(hit); err == nil {
				time.Sleep(8 * time.Second) // past the 6 s timeout: its TERM reaches the restore
				break
			}
		}
		_ = os.WriteFile(goOn, nil, 0o600)
	}()
	applyFails(t, root, r.dmtConfig(root, fmt.Sprintf("  composer = %q\n  timeouts {\n    create = \"6s\"\n  }", failing)), regexp.MustCompile(`(?s)Operation Timed Out.*were\s+restored\s+from`))
	if _, err := os.Stat(hit); err != nil {
		t.Fatal("the apply never reached its restore")
	}
	if _, err := os.Stat(filepath.Join(root, "var", ".tf-magento-dmt.lock")); !os.IsNotExist(err) {
		t.Fatal("the lock was not released after the restore")
	}
}

// The disk fills while a failed upgrade restores its backup: the restore extracts into
// a directory inside the root first, so the root keeps every file (as the failed
// Composer left them), and the error says the restore failed, why, and what is owed.
func TestAccDataMigrationTool_failedRestoreLeavesTheRoot(t *testing.T) {
	// The restore extracts the whole archive (4 arguments): the disk is full then.
	r := rigWithShim(t, "tar", func(string) string {
		return "if [ \"$1\" = -xzof ] && [ $# -eq 4 ]; then echo 'tar: composer.lock: Cannot write: No space left on device' >&2; exit 2; fi"
	})
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	failing := failingComposer(t, "Installation failed")
	accTest(t, []resource.TestStep{{
		Config:      r.dmtConfig(root, fmt.Sprintf("  composer = %q", failing)),
		ExpectError: regexp.MustCompile(`(?s)RESTORE\s+FAILED:.*No\s+space\s+left\s+on\s+device.*as\s+the\s+failed\s+apply\s+left\s+it.*record.*stays`),
	}})
	for _, path := range guardedPaths {
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			t.Errorf("%s is gone after the failed restore: %v", path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(magento.StateDir(magento.RootStateBase, root), "owed")); err != nil {
		t.Error("the owed-restore record must stay while a restore is owed")
	}
}

// A failed apply leaves the root byte for byte as it was, whether it failed before any
// change (no release for Magento 2.4.9, setup:backup disabled) or Composer was killed
// after rewriting the files; the restored root then converges.
func TestAccDataMigrationTool_failedApplyLeavesTheRootAsItWas(t *testing.T) {
	r := newRig(t)
	noRelease := r.root(t, testenv.RootSpec{Magento: "2.4.9", DMT: "2.4.8"})
	killed := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	wrapper := filepath.Join(t.TempDir(), "composer-killed")
	// Composer rewrites composer.json, the lock and vendor/, then dies.
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\" >/dev/null 2>&1\necho 'Killed'\nexit 137\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	disabledBackup := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	applyFails(t, noRelease, r.dmtConfig(noRelease, `  on_missing_release = "error"`),
		regexp.MustCompile(`no\s+magento/data-migration-tool\s+release\s+exists\s+for\s+Magento\s+2\.4\.9(.|\n)*2\.4\.8\.1`))
	applyFails(t, killed, r.dmtConfig(killed, fmt.Sprintf("  composer = %q", wrapper)),
		regexp.MustCompile(`composer require magento/data-migration-tool:2\.4\.7 failed(.|\n)*restored\s+from(.|\n)*tf-magento-dmt-(.|\n)*Killed`))
	applyFails(t, disabledBackup, r.dmtConfig(disabledBackup, "  backup {\n    magento_setup_backup = [\"code\", \"db\"]\n  }"),
		regexp.MustCompile(`backup\s+functionality\s+is\s+disabled(.|\n)*functionality_enabled\s+1`))
	// After the failures, a plain apply converges the restored root.
	accTest(t, []resource.TestStep{{
		Config:            r.dmtConfig(killed, ""),
		ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
	}})
}
