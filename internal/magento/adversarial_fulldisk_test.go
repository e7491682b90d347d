package magento

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// R8: var/ (the lock and the default backup directory) on a filesystem that fills up
// right after the archive is written (logs, sessions, the archive itself). The marker
// file is created but its content cannot be written: the apply fails "nothing was
// changed", yet keeps the lock with an empty marker, and the next apply is told that a
// restore is owed "from " (nothing), with rm -rf as the fix.
func TestAdversarialEmptyMarkerOnAFullDisk(t *testing.T) {
	root, e, p := shellRoot(t, "")
	v := filepath.Join(root, "var")
	_ = os.MkdirAll(v, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", v).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", v).Run() })
	shims := t.TempDir()
	df, _ := exec.LookPath("df")
	// The second df is room "$root/vendor" (after the archive is written): fill var/ then.
	writeShim(t, filepath.Join(shims, "df"), `case "$*" in *vendor*) dd if=/dev/zero of='`+v+`/fill' bs=4k 2>/dev/null ;; esac
exec `+df+` "$@"`)
	_, err := Change(context.Background(), pathFirst{&LocalRunner{}, shims}, e, p)
	t.Logf("first apply: %v", err)
	lock := filepath.Join(v, lockName)
	marker, merr := os.ReadFile(filepath.Join(lock, "changing"))
	t.Logf("marker after the first apply: %q %v", marker, merr)
	_ = os.Remove(filepath.Join(v, "fill")) // space is back
	// The owner of the first apply is gone now: the next apply takes over.
	_, err2 := Change(context.Background(), &LocalRunner{}, e, p)
	t.Logf("next apply: %v", err2)
	if err != nil && strings.Contains(err.Error(), "othing was changed") && merr == nil && len(marker) == 0 {
		t.Errorf("FINDING: \"nothing was changed\", but the lock stays with an empty marker; the next apply says: %v", err2)
	}
}
