package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// BusyBox returns a folder of links to Debian's busybox, one per applet (sh, grep, awk,
// tr, head, tar, ...), as the tools of an Alpine-like host; the applets named in except
// are left out, as on a host that lacks them.
func BusyBox(t TB, except ...string) string {
	t.Helper()
	need(t, "busybox")
	bin, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("%v", err)
	}
	list, err := exec.Command(bin, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	dir := t.TempDir()
	for _, applet := range strings.Fields(string(list)) {
		if slices.Contains(except, applet) || strings.ContainsRune(applet, '/') {
			continue
		}
		if err := os.Symlink(bin, filepath.Join(dir, applet)); err != nil {
			t.Fatalf("%v", err)
		}
	}
	return dir
}
