package magento

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A listing is Composer's boot and one package's metadata. Its directory is ours, so
// nothing in it needs the root version Composer guesses from version control (git, hg,
// svn and fossil, one process each), nor the terminal size it asks stty for: on release
// day each host lists once per repository set, and a process is dear on a busy host.
func TestReleaseListingStartsNoVersionControlOrTerminalProbe(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	shims, probes := t.TempDir(), filepath.Join(t.TempDir(), "probes")
	for _, name := range []string{"git", "hg", "svn", "fossil", "stty"} {
		script := "#!/bin/sh\necho \"" + name + " $*\" >> '" + probes + "'\nexit 1\n"
		if err := os.WriteFile(filepath.Join(shims, name), []byte(script), 0o755); err != nil { //nolint:gosec // an executable test shim
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", shims+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	releases, err := listReleasesOf(t, e, root)
	if err != nil || len(releases) != len(testenv.DMTReleases) {
		t.Fatalf("listed %v, %v; want the %d releases", releases, err, len(testenv.DMTReleases))
	}
	if b, err := os.ReadFile(probes); !os.IsNotExist(err) {
		t.Errorf("the listing started probes (%v):\n%s", err, b)
	}
}
