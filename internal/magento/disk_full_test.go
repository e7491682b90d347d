package magento

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// dfShim writes a df that reports avail KiB free for paths matching pattern (a case
// pattern) and the real answer for others.
func dfShim(t *testing.T, pattern, avail string) string {
	t.Helper()
	realDf, err := exec.LookPath("df")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shim := "#!/bin/sh\nfor last; do :; done\ncase \"$last\" in " + pattern + ")\n  echo 'Filesystem 1024-blocks Used Available Capacity Mounted on'\n  echo 'shim 100000 99000 " + avail + " 99% /'\n  exit 0 ;;\nesac\nexec " + realDf + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "df"), []byte(shim), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	return dir
}

// The backup directory's filesystem fills while tar writes (df said there was room): the
// apply fails with tar's own reason, leaves no archive (partial or not) and changes
// nothing.
func TestChangeArchiveThatFillsTheDiskChangesNothing(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	// A shop's custom map file that does not compress: the archive outgrows the disk.
	noise := make([]byte, 64<<10)
	_, _ = rand.Read(noise)
	if err := os.WriteFile(filepath.Join(root, "vendor/magento/data-migration-tool/etc/noise.bin"), noise, 0o644); err != nil {
		t.Fatal(err)
	}
	p := params(root).ChangeParams
	p.Target, p.BackupDir = "2.4.7", filepath.Join(t.TempDir(), "full")
	if err := os.Mkdir(p.BackupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16k,mode=700", "tmpfs", p.BackupDir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", p.BackupDir).Run() })
	before := testenv.Digest(t, root, guarded...)
	_, err := Change(context.Background(), withPath{&LocalRunner{}, dfShim(t, p.BackupDir, "999999")}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "backup" || !strings.Contains(err.Error(), "No space left on device") || !strings.Contains(err.Error(), "Nothing was changed") {
		t.Fatalf("want tar's own reason, got %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(p.BackupDir, "*")); len(left) != 0 {
		t.Fatalf("a partial archive is left: %v", left)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
}

// vendor/ has no room for the new release beside the old one: Composer never starts,
// and the error names both numbers.
func TestChangeFullRootDiskStopsBeforeComposer(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	ran := filepath.Join(t.TempDir(), "ran")
	e.Composer = fakeComposer(t, `touch `+ran+`; exec composer "$@"`)
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	before := testenv.Digest(t, root, guarded...)
	_, err := Change(context.Background(), withPath{&LocalRunner{}, dfShim(t, "*/vendor", "3")}, e, p)
	if err == nil || !strings.Contains(err.Error(), "the disk is full: "+root+"/vendor has 3 KiB free, and Composer needs about") {
		t.Fatalf("want the full vendor/ named, got %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("Composer ran on a full disk")
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
}
