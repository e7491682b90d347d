package magento

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A web server's document roots: two shops (one Adobe Commerce), a site that is not
// Magento, an empty directory and a file; the patterns overlap (* and [...]). Discovery finds the two
// shops, each once, in one command, on GNU and BusyBox hosts alike.
func TestDiscoverFindsTheMagentoRoots(t *testing.T) {
	repo := sharedRepo(t)
	www := filepath.Join(t.TempDir(), "www")
	community := repo.NewRoot(t, filepath.Join(www, "shop-a"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	commerce := repo.NewRoot(t, filepath.Join(www, "shop b"), testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.7"})
	write(t, filepath.Join(www, "blog"), "composer.json", `{"name": "acme/blog", "require": {"php": "^8.1"}}`)
	write(t, www, "README", "not a directory")
	if err := os.MkdirAll(filepath.Join(www, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	patterns := []string{www + "/*", www + "/shop-[ab]/", "/nonexistent/*"}
	for name, runner := range map[string]Runner{"GNU": &LocalRunner{}, "BusyBox": busyBoxRunner{testenv.BusyBox(t)}} {
		t.Run(name, func(t *testing.T) {
			calls := &counted{Runner: runner}
			found, err := Discover(context.Background(), calls, patterns)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range found {
				got = append(got, f.Installation.Root+": "+describe(f))
			}
			want := []string{commerce + ": 2.4.8 enterprise 2.4.7", community + ": 2.4.7-p3 community 2.4.7"}
			if !slices.Equal(got, want) || calls.n != 1 {
				t.Fatalf("found %q in %d commands, want %q in 1", got, calls.n, want)
			}
		})
	}
}

// A root the SSH user cannot read is reported, not skipped as "not Magento".
func TestDiscoverReportsUnreadableRoots(t *testing.T) {
	testenv.EnsureUser(t)
	repo := sharedRepo(t)
	www := filepath.Join(t.TempDir(), "www")
	open := repo.NewRoot(t, filepath.Join(www, "open"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	closed := repo.NewRoot(t, filepath.Join(www, "closed"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	for _, dir := range []string{filepath.Dir(filepath.Dir(www)), filepath.Dir(www)} {
		if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // the test user must reach www
			t.Fatal(err)
		}
	}
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	found, err := Discover(context.Background(), RunAs(&LocalRunner{}, testenv.TestUser), []string{www + "/*"})
	if err != nil {
		t.Fatal(err)
	}
	var install *InstallError
	if len(found) != 2 || found[0].Installation.Root != closed || !errors.As(found[0].Err, &install) || install.Kind != ErrUnreadable ||
		found[1].Installation.Root != open || found[1].Err != nil {
		t.Fatalf("got %+v, want %s unreadable and %s read", found, closed, open)
	}
}

// Only the glob characters of a search path reach the shell unquoted.
func TestDiscoverQuotesAllButGlobs(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "injected")
	found, err := Discover(context.Background(), &LocalRunner{}, []string{dir + "/$(touch " + marker + ")*", dir + "/a b;touch " + marker + "/*"})
	if err != nil || len(found) != 0 {
		t.Fatalf("got %v, %v", found, err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a search path ran a command")
	}
	if w := globWord("/var/www/it's [ab]*/?"); w != `'/var/www/it'\''s '['ab']*'/'?` {
		t.Fatalf("globWord: %s", w)
	}
}

// counted counts the commands of any Runner.
type counted struct {
	Runner
	n int
}

func (c *counted) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	c.n++
	return c.Runner.Run(ctx, label, cmd, stdin)
}
