package magento

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// "Restored" only when the last restore completed: an apply that finished an owed
// restore, then failed in Composer and could not restore again (a full disk), says
// RESTORE FAILED, never that the files were restored.
func TestRestoreFailedAfterAnOwedRestoreSaysSo(t *testing.T) {
	_, e, p, _ := owingRoot(t)
	e.Composer = fakeComposer(t, `composer "$@" >/dev/null 2>&1; echo "No space left on device"; exit 1`)
	shims := t.TempDir()
	// The second extraction into a restore directory fails as on a full disk.
	writeShim(t, filepath.Join(shims, "tar"), `case "$*" in *tf-magento-dmt-restore*)
  if [ -e `+shims+`/once ]; then echo "tar: composer.lock: Cannot write: No space left on device" >&2; exit 2; fi; : > `+shims+`/once ;; esac
exec /usr/bin/tar "$@"`)
	_, err := Change(context.Background(), pathFirst{&LocalRunner{}, shims}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.RestoreFailure == "" || !strings.Contains(err.Error(), "RESTORE FAILED") || strings.Contains(err.Error(), "were restored from") {
		t.Fatalf("want RESTORE FAILED and no claim that the files were restored, got %v", err)
	}
}

// A moved-on check that cannot run (extracting composer.json from the archive fails: the
// disk is still full, the usual reason a restore was left owed) is its own error, never
// "moved on": nothing is restored or changed, and the record stays for the next apply.
func TestMovedOnCheckThatCannotRunIsNotLaterWork(t *testing.T) {
	root, e, p, _ := owingRoot(t)
	shims := t.TempDir()
	writeShim(t, filepath.Join(shims, "tar"), `case "$*" in *tf-magento-dmt-check*) echo "tar: composer.json: Cannot write: No space left on device" >&2; exit 2 ;; esac
exec /usr/bin/tar "$@"`)
	before := testenv.Digest(t, root, guarded...)
	_, err := Change(context.Background(), pathFirst{&LocalRunner{}, shims}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "check-failed" || strings.Contains(err.Error(), "would revert later work") || strings.Count(err.Error(), "Nothing was changed") != 1 || !strings.Contains(err.Error(), "No space left on device") {
		t.Fatalf("want the check's own failure with tar's reason, got %v", err)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(p.BackupDir, "owed")); err != nil {
		t.Fatalf("the owed-restore record must stay: %v", err)
	}
}

// A lock of another host, on a root this host owes a restore: the refusal names the
// archive of the owed restore beside the rm -rf of the lock.
func TestForeignLockNamesTheOwedRestore(t *testing.T) {
	root, e, p, archive := owingRoot(t)
	lock := filepath.Join(root, "var", lockName)
	_ = os.WriteFile(filepath.Join(lock, "owner"), []byte("4242 web2 2026-11-25T10:00:00Z\n"), 0o644)
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err == nil || !strings.Contains(err.Error(), "on another host") || !strings.Contains(err.Error(), "A restore is owed from "+archive) {
		t.Fatalf("want the foreign lock refused, naming the owed restore from %s, got %v", archive, err)
	}
}

// A PHP that prints a startup warning (a duplicated extension ini: "PHP Warning: Module
// "ctype" is already loaded", common on multi-PHP hosts) is not later work: the owed
// restore runs, then the upgrade.
func TestPHPWarningIsNotLaterWork(t *testing.T) {
	_, e, p, archive := owingRoot(t)
	e.PHP = fakeComposer(t, `exec php -d extension=ctype "$@"`) // the host's php.ini loads ctype twice
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err != nil || res.Installed != "2.4.7" || !strings.Contains(strings.Join(res.Warnings, "\n"), "restored "+archive) {
		t.Fatalf("want the owed restore, then the upgrade: %+v, %v", res, err)
	}
}
