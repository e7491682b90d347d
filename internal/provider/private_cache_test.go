package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// The caches live in a directory of the user that nobody else may enter; without one
// (HOME unset, a directory of another user or open to others) nothing is cached, and
// nothing goes to the shared temporary directory instead.
func TestCachesArePrivateOrNotUsed(t *testing.T) {
	ctx := context.Background()
	host := remote.Config{Host: "web1", Port: 22, User: "deploy"}
	remember := func() string {
		m := NewRootMemory()
		file := m.file(ctx, host, "")
		m.note(file, "/var/www/a", true)
		m.Save()
		return file
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, cache string)
		why   string
	}{
		{"HOME unset", func(t *testing.T, _ string) { t.Setenv("XDG_CACHE_HOME", ""); t.Setenv("HOME", "") }, "HOME"},
		{"another user's directory", func(t *testing.T, cache string) {
			mkdir(t, filepath.Join(cache, cacheName), 0o700)
			if err := os.Chown(filepath.Join(cache, cacheName), 65534, 65534); err != nil {
				t.Skip("cannot give a directory to another user:", err)
			}
		}, "belongs to user 65534"},
		{"a directory others may write", func(t *testing.T, cache string) {
			mkdir(t, filepath.Join(cache, cacheName), 0o700)
			if err := os.Chmod(filepath.Join(cache, cacheName), 0o777); err != nil { //nolint:gosec // the case under test
				t.Fatal(err)
			}
		}, "chmod 755"},
		{"a private directory others may read", func(t *testing.T, cache string) {
			mkdir(t, filepath.Join(cache, cacheName), 0o755)
			for _, sub := range []string{"roots", "releases"} {
				mkdir(t, filepath.Join(cache, cacheName, sub), 0o700)
				if err := os.Chmod(filepath.Join(cache, cacheName, sub), 0o755); err != nil { //nolint:gosec // the case under test
					t.Fatal(err)
				}
			}
		}, "chmod 700"},
		{"a cache directory others may write", func(t *testing.T, cache string) {
			if err := os.Chmod(cache, 0o777); err != nil { //nolint:gosec // the case under test
				t.Fatal(err)
			}
		}, "chmod 755"},
		{"a link in place of the directory", func(t *testing.T, cache string) {
			if err := os.Symlink(t.TempDir(), filepath.Join(cache, cacheName)); err != nil {
				t.Fatal(err)
			}
		}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache, tmp := t.TempDir(), t.TempDir()
			t.Setenv("XDG_CACHE_HOME", cache)
			t.Setenv("TMPDIR", tmp)
			tc.setup(t, cache)
			if _, err := privateDir("roots"); err == nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("want no cache because %q, got %v", tc.why, err)
			}
			if file := remember(); file != "" {
				t.Fatalf("remembered roots in %s", file)
			}
			if file := releaseCacheFile(ctx, host, magento.Exec{}, "/var/www/a"); file != "" {
				t.Fatalf("would cache releases in %s", file)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Fatalf("the temporary directory got %v", entries)
			}
		})
	}

	t.Run("private", func(t *testing.T) {
		cache := t.TempDir()
		t.Setenv("XDG_CACHE_HOME", cache)
		file := remember()
		if !strings.HasPrefix(file, filepath.Join(cache, cacheName, "roots")+"/") {
			t.Fatalf("remembered in %q", file)
		}
		for _, dir := range []string{filepath.Join(cache, cacheName), filepath.Dir(file)} {
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("%s: %v, %v; want 0700", dir, fi.Mode(), err)
			}
		}
	})
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
}
