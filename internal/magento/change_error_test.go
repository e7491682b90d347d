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

// After a takeover restored the owed archive ("@restored"), composer fails and the
// second restore fails too (the disk filled up: tar cannot extract). The error still
// says the files "were restored", because parseChange keeps the takeover's @restored.
func TestRestoreFailedAfterAnOwedRestoreSaysSo(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	archive := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	interruptedApply(t, root, archive)
	p.Target = "2.4.7"
	e.Composer = fakeComposer(t, `composer "$@" >/dev/null 2>&1; echo "No space left on device"; exit 1`)
	shims := t.TempDir()
	// The second extraction into a restore directory fails as on a full disk.
	writeShim(t, filepath.Join(shims, "tar"), `case "$*" in *tf-magento-dmt-restore*)
  if [ -e `+shims+`/once ]; then echo "tar: composer.lock: Cannot write: No space left on device" >&2; exit 2; fi; : > `+shims+`/once ;; esac
exec /usr/bin/tar "$@"`)
	_, err := Change(context.Background(), pathFirst{&LocalRunner{}, shims}, e, p)
	t.Logf("error: %v", err)
	var ce *ChangeError
	if errors.As(err, &ce) && ce.RestoreFailure != "" && strings.Contains(err.Error(), "were restored from") {
		t.Errorf("the restore failed (%s) but the error says the files were restored", ce.RestoreFailure)
	}
}

// An owed restore is checked with moved_on, which extracts composer.json/lock from
// the archive into the root. When that extraction fails (the disk is still full: the
// usual reason a restore was left owed), the archive's files "cannot be read" and the
// apply says the root has moved on and tells the operator to rm -rf the lock, which
// throws the owed restore away although nothing moved on.
func TestMovedOnCheckThatCannotRunIsNotLaterWork(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	archive := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	interruptedApply(t, root, archive)
	p.Target = "2.4.7"
	shims := t.TempDir()
	writeShim(t, filepath.Join(shims, "tar"), `case "$*" in *tf-magento-dmt-check*) echo "tar: composer.json: Cannot write: No space left on device" >&2; exit 2 ;; esac
exec /usr/bin/tar "$@"`)
	_, err := Change(context.Background(), pathFirst{&LocalRunner{}, shims}, e, p)
	t.Logf("error: %v", err)
	if err != nil && strings.Contains(err.Error(), "has moved on since") && strings.Contains(err.Error(), "rm -rf") {
		t.Errorf("a failed extraction is reported as later work, with rm -rf of the lock (and so of the owed restore) as the fix")
	}
}

// A lock of another host (or a stale takeover) that still owes a restore: the
// message says only "remove the lock with rm -rf", which drops the owed restore; the
// next apply then backs up the half-upgraded root and, if it fails, "restores" that.
func TestForeignLockNamesTheOwedRestore(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	archive := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	interruptedApply(t, root, archive)
	lock := filepath.Join(root, "var", lockName)
	_ = os.WriteFile(filepath.Join(lock, "owner"), []byte("4242 web2 2026-11-25T10:00:00Z\n"), 0o644)
	p.Target = "2.4.7"
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	t.Logf("error: %v", err)
	if err != nil && !strings.Contains(err.Error(), archive) {
		t.Errorf("the lock owes a restore from %s, but the message only says to rm -rf the lock", archive)
	}
}

// A host whose PHP prints a startup warning on stderr (a duplicated extension ini:
// "PHP Warning: Module "ctype" is already loaded", common on multi-PHP hosts). moved_on
// merges stderr into its answer, so every owed restore is refused as "moved on", and the
// operator is told to rm -rf the lock, dropping the restore, though nothing moved on.
func TestPHPWarningIsNotLaterWork(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	archive := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	interruptedApply(t, root, archive)
	p.Target = "2.4.7"
	e.PHP = fakeComposer(t, `exec php -d extension=ctype "$@"`) // the host's php.ini loads ctype twice
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	t.Logf("error: %v", err)
	if err != nil && strings.Contains(err.Error(), "has moved on since") {
		t.Errorf("a PHP startup warning is taken for later work")
	}
}
