package releasecache

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// A plan that refreshed the root lists afresh; a create reuses only a list of its own
// Terraform run; the apply walk's update reuses any list younger than TTL.
func TestKeptListIsReusedOnlyWhereTheScopeAllows(t *testing.T) {
	file := filepath.Join(t.TempDir(), "entry.json")
	list := []string{"2.4.7", "2.4.8", "2.4.8.1"}
	Entry{file: file, run: "100@5"}.Store(list)
	for _, tc := range []struct {
		name  string
		run   string
		scope Scope
		want  bool
	}{
		{"refreshed", "100@5", ListAfresh, false},
		{"create in the listing run", "100@5", ReuseSameRun, true},
		{"create in another run", "100@9", ReuseSameRun, false},
		{"apply walk of another run", "200@7", ReuseSavedPlanRun, true},
	} {
		got, ok := Entry{file: file, run: tc.run}.Load(tc.scope)
		if ok != tc.want || (ok && !slices.Equal(got, list)) {
			t.Errorf("%s: got %q, %v; want reused %v", tc.name, got, ok, tc.want)
		}
	}
}

// A list older than TTL, or an empty one, is never reused.
func TestKeptListOlderThanTTLOrEmptyIsNotReused(t *testing.T) {
	for name, kept := range map[string]cachedReleases{
		"old":   {Listed: time.Now().Add(-TTL - time.Minute), Terraform: "100@5", Releases: []string{"2.4.7"}},
		"empty": {Listed: time.Now(), Terraform: "100@5"},
	} {
		file := filepath.Join(t.TempDir(), "entry.json")
		b, _ := json.Marshal(kept)
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, ok := (Entry{file: file, run: "100@5"}).Load(ReuseSavedPlanRun); ok {
			t.Errorf("%s: reused %q", name, got)
		}
	}
}

// An entry is per host, user, root, run_as, Composer, environment and credentials, in
// the user's private cache directory; the credentials are in its name only as a hash.
func TestEntryIsPerCredentialsInThePrivateCache(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	host := remote.Config{Host: "web1", Port: 22, User: "deploy"}
	e := magento.Exec{Composer: "composer", Auth: `{"http-basic":{"repo.magento.com":{"username":"k","password":"secret"}}}`}
	first := For(ctx, host, e, "/var/www/a")
	if !strings.HasPrefix(first.file, filepath.Join(cache, "terraform-provider-magento", "releases")+"/") || strings.Contains(first.file, "secret") {
		t.Fatalf("entry %q", first.file)
	}
	if again := For(ctx, host, e, "/var/www/a"); again.file != first.file {
		t.Fatalf("the same root and settings name %q and %q", first.file, again.file)
	}
	other := e
	other.Auth = `{"http-basic":{"repo.magento.com":{"username":"k","password":"other"}}}`
	asOwner := e
	asOwner.RunAs = "magento"
	for name, entry := range map[string]Entry{
		"other credentials": For(ctx, host, other, "/var/www/a"),
		"run_as":            For(ctx, host, asOwner, "/var/www/a"),
		"another root":      For(ctx, host, e, "/var/www/b"),
	} {
		if entry.file == first.file {
			t.Errorf("%s: shares the entry %q", name, entry.file)
		}
	}
}

// Without a private cache directory (here HOME is unset) nothing is kept, and nothing
// goes to the shared temporary directory instead.
func TestWithoutAPrivateCacheNothingIsKept(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	t.Setenv("TMPDIR", tmp)
	entry := For(context.Background(), remote.Config{Host: "web1", Port: 22, User: "deploy"}, magento.Exec{}, "/var/www/a")
	entry.Store([]string{"2.4.7"})
	if got, ok := entry.Load(ReuseSavedPlanRun); ok || entry.file != "" {
		t.Fatalf("kept %q in %q", got, entry.file)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("the temporary directory got %v", entries)
	}
}
