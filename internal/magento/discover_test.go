package magento

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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

// Directory names that look like the line protocol (a backslash escape, \c, which an
// echo would stop at, a leading @, a newline) neither truncate nor inject entries: the
// shops are found by their own names, the newline one is left out, on GNU and BusyBox.
func TestDiscoverNamesThatLookLikeTheProtocolInjectNothing(t *testing.T) {
	www := filepath.Join(t.TempDir(), "www")
	shop := smallRoot(t, filepath.Join(www, "shop"), "2.4.7-p3", "2.4.7")
	cold := smallRoot(t, filepath.Join(www, `shop\cold`), "2.4.8", "2.4.8.1")
	at := smallRoot(t, filepath.Join(www, "@root 0"), "2.4.6-p8", "2.4.6")
	smallRoot(t, filepath.Join(www, "new\n@cand 1 /etc"), "2.4.5", "2.4.5")
	for name, runner := range map[string]Runner{"GNU": &LocalRunner{}, "BusyBox": busyBoxRunner{testenv.BusyBox(t)}} {
		t.Run(name, func(t *testing.T) {
			found, err := Discover(context.Background(), runner, []string{www + "/*"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range found {
				got = append(got, f.Installation.Root+": "+describe(f))
			}
			want := []string{at + ": 2.4.6-p8 community 2.4.6", shop + ": 2.4.7-p3 community 2.4.7", cold + ": 2.4.8 community 2.4.8.1"}
			if !slices.Equal(got, want) {
				t.Fatalf("found %q, want %q", got, want)
			}
		})
	}
}

// The candidate lines are checked: noise before the script's first line is a login
// shell's, but a line the script does not print is an error, not skipped.
func TestParseCandidatesRejectsUnexpectedLines(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want []string
		ok   bool
	}{
		{"motd line\n@cand 0 /a\n@cand 1 /b c\n@root 0\n", []string{"/a", "/b c"}, true},
		{"@cand 0 /a\n@cand 0 /b\n", nil, false},
		{"@cand 1 /a\n", nil, false},
		{"@cand 0 relative\n", nil, false},
		{"@cand 0 /a\nstray\n@cand 1 /b\n", nil, false},
		{"@cand x /a\n", nil, false},
	} {
		got, err := parseCandidates([]byte(tc.out))
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, %v", tc.out, got, err)
		}
	}
}

// smallRoot is a minimal Magento root with the files the reader looks at, as Composer
// writes them (minified).
func smallRoot(t *testing.T, dir, magento, dmt string) string {
	t.Helper()
	write(t, dir, "composer.json", `{"name":"magento/project-community-edition","require":{"magento/product-community-edition":"`+magento+`"}}`)
	write(t, dir, "composer.lock", `{"packages":[{"name":"magento/product-community-edition","version":"`+magento+`"}]}`)
	write(t, dir, "vendor/composer/installed.json", `{"packages":[{"name":"magento/data-migration-tool","version":"`+dmt+`"}]}`)
	write(t, dir, "vendor/magento/data-migration-tool/composer.json", `{"name":"magento/data-migration-tool"}`)
	return dir
}

// Every kind of line the read scripts print is in readLines, the table the parsers
// take: a kind added to a script without the parser knowing it fails here.
func TestReadScriptsPrintOnlyTheProtocol(t *testing.T) {
	printed := regexp.MustCompile(`(?:printf ['"]|print "|print ")(@[a-z]+)`)
	internal := map[string]bool{"@slow": true, "@fallback": true} // between the awk programs and read.sh
	for _, script := range []string{discoverSH, readSH, extractSH, batchAWK, pairAWK, extractAWK, readScript([]string{"/a"}, &Tools{PHP: "php", Composer: "composer"})} {
		for _, m := range printed.FindAllStringSubmatch(script, -1) {
			if _, ok := readLines[m[1]]; !ok && !internal[m[1]] {
				t.Errorf("a script prints %s, which readLines does not list", m[1])
			}
		}
	}
	if strings.Contains(discoverSH+readSH+extractSH, "echo ") {
		t.Error("the read scripts print with printf, never echo (it may interpret backslashes in a path)")
	}
}

// A search path with // or /./ finds the roots by their canonical paths, the form
// magento_root takes (the list resource's generated configuration validates).
func TestDiscoverReportsCanonicalRoots(t *testing.T) {
	www := filepath.Join(t.TempDir(), "www")
	shop := smallRoot(t, filepath.Join(www, "shop"), "2.4.7-p3", "2.4.7")
	found, err := Discover(context.Background(), &LocalRunner{}, []string{www + "//./*/"})
	if err != nil || len(found) != 1 || found[0].Installation.Root != shop {
		t.Fatalf("got %+v, %v; want %s", found, err, shop)
	}
}
