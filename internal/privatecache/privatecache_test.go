package privatecache

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The caches live in a directory of the user that nobody else may enter; without one
// (HOME unset, a directory of another user or open to others) there is no cache
// directory, and nothing goes to the shared temporary directory instead.
func TestCachesArePrivateOrNotUsed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, cache, sub string)
		why   string
	}{
		{"HOME unset", func(t *testing.T, _, _ string) { t.Setenv("XDG_CACHE_HOME", ""); t.Setenv("HOME", "") }, "HOME"},
		{"another user's directory", func(t *testing.T, cache, _ string) {
			mkdir(t, filepath.Join(cache, dirName), 0o700)
			if err := os.Chown(filepath.Join(cache, dirName), 65534, 65534); err != nil {
				t.Skip("cannot give a directory to another user:", err)
			}
		}, "belongs to user 65534"},
		{"a directory others may write", func(t *testing.T, cache, _ string) {
			mkdir(t, filepath.Join(cache, dirName), 0o700)
			if err := os.Chmod(filepath.Join(cache, dirName), 0o777); err != nil { //nolint:gosec // the case under test
				t.Fatal(err)
			}
		}, "chmod 755"},
		{"a private directory others may read", func(t *testing.T, cache, sub string) {
			mkdir(t, filepath.Join(cache, dirName), 0o755)
			mkdir(t, filepath.Join(cache, dirName, sub), 0o700)
			if err := os.Chmod(filepath.Join(cache, dirName, sub), 0o755); err != nil { //nolint:gosec // the case under test
				t.Fatal(err)
			}
		}, "chmod 700"},
		{"a cache directory others may write", func(t *testing.T, cache, _ string) {
			if err := os.Chmod(cache, 0o777); err != nil { //nolint:gosec // the case under test
				t.Fatal(err)
			}
		}, "chmod 755"},
		{"a link in place of the directory", func(t *testing.T, cache, _ string) {
			if err := os.Symlink(t.TempDir(), filepath.Join(cache, dirName)); err != nil {
				t.Fatal(err)
			}
		}, "not a directory"},
	} {
		// The roots memory and the release cache alike.
		for _, sub := range []string{"roots", "releases"} {
			t.Run(tc.name+", "+sub, func(t *testing.T) {
				cache, tmp := t.TempDir(), t.TempDir()
				t.Setenv("XDG_CACHE_HOME", cache)
				t.Setenv("TMPDIR", tmp)
				tc.setup(t, cache, sub)
				if dir, err := Dir(sub); err == nil || !strings.Contains(err.Error(), tc.why) {
					t.Fatalf("want no cache directory because %q, got %q, %v", tc.why, dir, err)
				}
				if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
					t.Fatalf("the temporary directory got %v", entries)
				}
			})
		}
	}

	t.Run("private", func(t *testing.T) {
		cache := t.TempDir()
		t.Setenv("XDG_CACHE_HOME", cache)
		dir, err := Dir("roots")
		if err != nil || dir != filepath.Join(cache, dirName, "roots") {
			t.Fatalf("got %q, %v", dir, err)
		}
		for _, d := range []string{filepath.Join(cache, dirName), dir} {
			if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("%s: %v, %v; want 0700", d, fi.Mode(), err)
			}
		}
	})
}

// Write puts a new 0600 file in place (a link planted there is replaced, its target
// left alone, no temporary file left behind); Read gives it back, and refuses a link
// or anything but a regular file.
func TestCacheFilesAreNeverUsedThroughALink(t *testing.T) {
	dir := t.TempDir()
	file, victim := filepath.Join(dir, "entry.json"), filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, file); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(file); err == nil {
		t.Fatalf("read %q through a link", b)
	}
	if err := Write(file, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(file); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("want a regular 0600 file in place of the link, got %v, %v", fi, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if b, err := Read(file); err != nil || !bytes.Equal(b, []byte("new")) {
		t.Fatalf("read back %q, %v", b, err)
	}
	if b, err := Read(dir); err == nil {
		t.Fatalf("read %q from a directory", b)
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
}
