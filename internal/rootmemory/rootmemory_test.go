package rootmemory

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// The roots read on a host are remembered across processes (runs), per host and user:
// the roots of the last run that read them, written once when the process ends. A root
// the next run does not ask for (or cannot read) is forgotten then.
func TestMemoryHoldsWhatTheLastRunRead(t *testing.T) {
	ctx := context.Background()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	host := remote.Config{Host: "web1", Port: 22, User: "deploy"}
	first := New()
	web1, asMagento := first.File(ctx, host, ""), first.File(ctx, host, "magento")
	first.Recall(web1)
	first.Note(web1, "/var/www/a", true)
	first.Note(web1, "/var/www/b", true)
	first.Note(asMagento, "/var/www/c", true)
	if _, err := os.Stat(web1); err == nil {
		t.Fatal("the memory was written before the run ended")
	}
	first.Save()

	second := New() // the next run's provider process
	if got := second.Recall(web1); !slices.Equal(got, []string{"/var/www/a", "/var/www/b"}) {
		t.Fatalf("recalled %q, want a and b", got)
	}
	if got := second.Recall(second.File(ctx, host, "magento")); !slices.Equal(got, []string{"/var/www/c"}) {
		t.Fatalf("recalled %q for run_as magento, want only c", got)
	}
	second.Note(web1, "/var/www/b", true) // a left the configuration
	second.Save()
	if got := New().Recall(web1); !slices.Equal(got, []string{"/var/www/b"}) {
		t.Fatalf("after a run that read only b: %q", got)
	}

	apply := New() // an apply walk: it re-plans a create, refreshes nothing
	apply.Recall(web1)
	apply.Note(web1, "/var/www/new", false)
	apply.Save()
	if got := New().Recall(web1); !slices.Equal(got, []string{"/var/www/b"}) {
		t.Fatalf("an apply walk's create replaced the memory: %q", got)
	}
}

// A memory is written to a new file renamed into place: a link planted where it goes
// is replaced, and what it points to is left alone.
func TestMemoryNeverWritesThroughALink(t *testing.T) {
	ctx := context.Background()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	m := New()
	file := m.File(ctx, remote.Config{Host: "web1", Port: 22, User: "deploy"}, "")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, file); err != nil {
		t.Fatal(err)
	}
	if got := m.Recall(file); got != nil {
		t.Fatalf("read %q through a link", got)
	}
	m.Note(file, "/var/www/a", true)
	m.Save()
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(file); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("want a regular 0600 file in place of the link, got %v, %v", fi, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

// Without a private cache directory (here HOME is unset) nothing is remembered, and
// nothing goes to the shared temporary directory instead.
func TestMemoryWithoutAPrivateCacheRemembersNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	t.Setenv("TMPDIR", tmp)
	m := New()
	file := m.File(context.Background(), remote.Config{Host: "web1", Port: 22, User: "deploy"}, "")
	m.Note(file, "/var/www/a", true)
	m.Save()
	if file != "" {
		t.Fatalf("remembered roots in %s", file)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("the temporary directory got %v", entries)
	}
}
