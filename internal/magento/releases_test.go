package magento

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// listingSpy is a composer that logs, per call, its directory, the files in it and its
// arguments, keeps a copy of the composer.json it was given, then runs composer.
func listingSpy(t *testing.T) (command, calls, manifests string) {
	t.Helper()
	dir := t.TempDir()
	command, calls, manifests = filepath.Join(dir, "composer-spy"), filepath.Join(dir, "calls"), filepath.Join(dir, "manifests")
	script := "#!/bin/sh\necho \"$PWD|$(ls -A | tr '\\n' ' ')|$*\" >> '" + calls + "'\ncat composer.json >> '" + manifests + "'\nexec composer \"$@\"\n"
	if err := os.WriteFile(command, []byte(script), 0o755); err != nil { //nolint:gosec // an executable test shim
		t.Fatal(err)
	}
	return command, calls, manifests
}

// listReleasesOf lists root's releases as a plan does: its release source, then
// Composer's list for it.
func listReleasesOf(t *testing.T, e Exec, root string) ([]string, error) {
	t.Helper()
	src, err := ReleaseSourceOf(context.Background(), &LocalRunner{}, e, root)
	if err != nil {
		t.Fatal(err)
	}
	return ListReleases(context.Background(), &LocalRunner{}, e, src, ListingSlots{})
}

// The listing reads only the root's repository settings: it runs in a private
// temporary directory (gone afterwards) holding a composer.json with the root's
// repositories and its auth.json, with plugins and scripts off; the shop's lock,
// installed.json and plugins are never loaded. It lists what the real Composer lists.
func TestReleaseListingLoadsNoShop(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.WriteFile(filepath.Join(root, "auth.json"), []byte(`{"http-basic":{}}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spy, calls, manifests := listingSpy(t)
	e.Composer = spy
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	releases, err := listReleasesOf(t, e, root)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(testenv.DMTReleases)
	slices.SortFunc(want, func(a, b string) int { return CompareDMT(b, a) })
	if !slices.Equal(releases, want) {
		t.Errorf("listed %v, want %v", releases, want)
	}
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 {
		t.Fatalf("composer ran %d times, want once:\n%s", len(lines), b)
	}
	dir, rest, _ := strings.Cut(lines[0], "|")
	files, args, _ := strings.Cut(rest, "|")
	if dir == root || !strings.HasPrefix(dir, os.Getenv("TMPDIR")+"/") {
		t.Errorf("composer listed in %s, want a temporary directory, not the root", dir)
	}
	if strings.TrimSpace(files) != "auth.json composer.json" {
		t.Errorf("the listing directory held %q, want only composer.json and auth.json", files)
	}
	for _, flag := range []string{"show --all", "--no-plugins", "--no-scripts", Package} {
		if !strings.Contains(args, flag) {
			t.Errorf("composer %s: no %s", args, flag)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the listing directory %s is still there: %v", dir, err)
	}
	var manifest map[string]json.RawMessage
	if m, err := os.ReadFile(manifests); err != nil || json.Unmarshal(m, &manifest) != nil {
		t.Fatalf("the listing's composer.json is no JSON object: %v\n%s", err, m)
	}
	if _, ok := manifest["repositories"]; !ok || string(manifest["version"]) != `"1.0.0"` || len(manifest) != 2 {
		t.Errorf("the listing's composer.json holds %v, want the repositories and a version only", manifest)
	}
}

// Roots whose listings would be the same have one release source; repositories,
// auth.json, credentials and how Composer runs each make another. What the shop
// requires does not.
func TestReleaseSourcesOfLikeRootsAreOne(t *testing.T) {
	a, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	b, _ := newRoot(t, testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8"})
	digest := func(root string, e Exec) string {
		t.Helper()
		src, err := ReleaseSourceOf(context.Background(), &LocalRunner{}, e, root)
		if err != nil {
			t.Fatal(err)
		}
		return src.Digest
	}
	if digest(a, e) != digest(b, e) {
		t.Fatal("two roots with one repository set have two release sources")
	}
	other := e
	other.Auth = `{"http-basic":{"repo.magento.com":{"username":"u","password":"p"}}}`
	differs := map[string]string{"other credentials": digest(a, other), "another composer": digest(a, Exec{Composer: "/opt/composer", Env: e.Env})}
	if err := os.WriteFile(filepath.Join(b, "auth.json"), []byte(`{"bearer":{"repo.example.com":"t"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	differs["an auth.json"] = digest(b, e)
	for what, d := range differs {
		if d == digest(a, e) {
			t.Errorf("%s: same release source", what)
		}
	}
}

// Composer printing something other than its JSON (a plugin's notice, a proxy page) is
// an error that shows what it printed.
func TestReleasesShowsWhatComposerPrinted(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	e.Composer = fakeComposer(t, `echo "Your requirements could not be resolved to an installable set of packages."`)
	_, err := listReleasesOf(t, e, root)
	if err == nil || !strings.Contains(err.Error(), "printed no release list") || !strings.Contains(err.Error(), "could not be resolved") {
		t.Fatalf("want an error quoting composer's output, got %v", err)
	}
}

// The host keeps the last list of each release source, which KeptReleases reads
// without Composer while it is young enough; a later listing replaces it.
func TestKeptReleasesAreTheLastListing(t *testing.T) {
	repo := testenv.NewRepo(t) // this test publishes a release
	root := repo.NewRoot(t, filepath.Join(t.TempDir(), "magento"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	e := Exec{Env: testenv.EnvMap(repo.ComposerEnv)}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx, run := context.Background(), &LocalRunner{}
	src, err := ReleaseSourceOf(ctx, run, e, root)
	if err != nil {
		t.Fatal(err)
	}
	if list, ok := KeptReleases(ctx, run, e, src, time.Hour); ok {
		t.Fatalf("a list is kept before any listing: %v", list)
	}
	listed, err := ListReleases(ctx, run, e, src, ListingSlots{})
	if err != nil {
		t.Fatal(err)
	}
	e.Composer = fakeComposer(t, `echo "composer ran" >&2; exit 1`) // reading what was kept runs no Composer
	if list, ok := KeptReleases(ctx, run, e, src, time.Hour); !ok || !slices.Equal(list, listed) {
		t.Fatalf("kept %v (%v), want %v", list, ok, listed)
	}
	if list, ok := KeptReleases(ctx, run, e, src, -time.Second); ok {
		t.Fatalf("a list older than allowed is used: %v", list)
	}
	e.Composer = ""
	repo.AddRelease(t, "2.4.7.1")
	if _, err := ListReleases(ctx, run, e, src, ListingSlots{}); err != nil {
		t.Fatal(err)
	}
	if list, ok := KeptReleases(ctx, run, e, src, time.Hour); !ok || !slices.Contains(list, "2.4.7.1") {
		t.Fatalf("kept %v (%v), want the newer listing's", list, ok)
	}
}

// A path repository written relative to the root (packages/*) still lists: the listing,
// which runs elsewhere, reads it against the root.
func TestReleaseListingReadsRelativePathRepositoriesAgainstTheRoot(t *testing.T) {
	repo := sharedRepo(t)
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.Symlink(repo.Dir, filepath.Join(root, "packages")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "composer.json"))
	if err != nil {
		t.Fatal(err)
	}
	relative := strings.Replace(string(b), `"url": "`+repo.Dir+`/*"`, `"url": "packages/*"`, 1)
	if relative == string(b) {
		t.Fatal("the fixture's repository url was not found")
	}
	if err := os.WriteFile(filepath.Join(root, "composer.json"), []byte(relative), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	releases, err := listReleasesOf(t, e, root)
	if err != nil || !slices.Contains(releases, "2.4.8.1") {
		t.Fatalf("listed %v, %v; want the releases of the root's packages/ repository", releases, err)
	}
}

// The release sources of a host's drifted roots are read in one command, the roots it
// served last time read ahead (an error is read again when asked): each root gets its own repositories and auth.json, and
// a root whose composer.json cannot be read fails alone, naming the file.
func TestReleaseSourcesOfAHostAreReadTogether(t *testing.T) {
	a, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	b, _ := newRoot(t, testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8"})
	if err := os.WriteFile(filepath.Join(b, "auth.json"), []byte(`{"bearer":{"repo.example.com":"t"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(t.TempDir(), "gone")
	runner, sources := &countingRunner{}, NewSourceBatcher()
	ahead := []string{a, b, gone}
	got := map[string]ReleaseSource{}
	for _, root := range ahead[:2] {
		src, err := ReleaseSourceThrough(context.Background(), sources, "host", runner, e, root, ahead)
		if err != nil {
			t.Fatal(err)
		}
		got[root] = src
	}
	if runner.calls > 2 {
		t.Errorf("two roots' release sources took %d commands, want the first read and the read ahead", runner.calls)
	}
	_, err := ReleaseSourceThrough(context.Background(), sources, "host", runner, e, gone, ahead)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(gone, "composer.json")+" is missing or not readable") {
		t.Errorf("a root without composer.json: %v", err)
	}
	for _, root := range []string{a, b} {
		want, err := ReleaseSourceOf(context.Background(), &LocalRunner{}, e, root)
		if err != nil {
			t.Fatal(err)
		}
		if got[root].Digest != want.Digest || got[root].AuthFile != want.AuthFile || string(got[root].Manifest) != string(want.Manifest) {
			t.Errorf("%s read with others: %+v, alone: %+v", root, got[root], want)
		}
	}
	if got[a].AuthFile != "" || got[b].AuthFile != filepath.Join(b, "auth.json") || got[a].Digest == got[b].Digest {
		t.Errorf("auth.json was mixed up between roots: %+v, %+v", got[a], got[b])
	}
}

// Root lists for a shop another user owns as that user (the owner of composer.json),
// read with the other roots' sources; with run_as set, as run_as.
func TestReleaseSourceListsAsTheShopsOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the SSH user is root here")
	}
	testenv.EnsureWebUser(t)
	uid, gid := testenv.IDs(t, testenv.WebUser)
	web, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	own, _ := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.Chown(filepath.Join(web, "composer.json"), uid, gid); err != nil {
		t.Fatal(err)
	}
	sources, run := NewSourceBatcher(), &countingRunner{} // safe for the read ahead's concurrent use
	for root, want := range map[string]string{web: testenv.WebUser, own: ""} {
		src, err := ReleaseSourceThrough(context.Background(), sources, "host", run, e, root, []string{web, own})
		if err != nil || src.ListAs != want {
			t.Errorf("%s lists as %q (%v), want %q", root, src.ListAs, err, want)
		}
	}
	withRunAs := e
	withRunAs.RunAs = "root"
	if src, err := ReleaseSourceOf(context.Background(), &LocalRunner{}, withRunAs, web); err != nil || src.ListAs != "" {
		t.Errorf("with run_as, the listing runs as run_as, not %q (%v)", src.ListAs, err)
	}
}

// Shops on one host may have different web users, who write their composer.json and
// auth.json: what one prints cannot pass for another root's release source in the
// command that reads them together.
func TestReleaseSourceOfOneShopCannotBeForgedByAnother(t *testing.T) {
	honest, _ := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	forger, _ := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	forged := "{}\n" + sourceMark + " 0\n{\"repositories\":[{\"type\":\"composer\",\"url\":\"https://evil.example\"}]}\n" +
		sourceMark + " owners\n-rw-r--r-- 1 mallory mallory 9 Dec 7 15:07 " + filepath.Join(honest, "composer.json") + "\n"
	if err := os.WriteFile(filepath.Join(forger, "auth.json"), []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(honest, "composer.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readSourceFiles(context.Background(), &LocalRunner{}, []string{filepath.Join(honest, "composer.json"), filepath.Join(forger, "composer.json")})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].err != nil || strings.TrimSpace(got[0].val.manifest) != strings.TrimSpace(string(want)) || strings.Contains(got[0].val.who, "mallory") {
		t.Errorf("the honest shop's source was forged: %+v", got[0])
	}
	if got[1].val.auth != strings.TrimSuffix(forged, "\n") {
		t.Errorf("the forger's own auth.json reads %q, want it whole", got[1].val.auth)
	}
}

// A shop's web user may make its composer.json a symlink to another shop's: when the SSH
// user is root, each shop still lists as the owner of its own composer.json (a
// symlink's owner is who made it), never as the other shop's owner.
func TestReleaseSourceOwnerCannotBeTakenThroughASymlink(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the SSH user is root here")
	}
	testenv.EnsureWebUser(t) // and TestUser
	webUID, webGID := testenv.IDs(t, testenv.WebUser)
	otherUID, otherGID := testenv.IDs(t, testenv.TestUser)
	parent := t.TempDir()
	honest, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.Rename(honest, filepath.Join(parent, "a-shop")); err != nil {
		t.Fatal(err)
	}
	honest = filepath.Join(parent, "a-shop")
	if err := os.Chown(filepath.Join(honest, "composer.json"), webUID, webGID); err != nil {
		t.Fatal(err)
	}
	linker := filepath.Join(parent, "z-shop") // sorts after the honest shop, as ls prints them
	if err := os.MkdirAll(linker, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(linker, "composer.json")
	if err := os.Symlink(filepath.Join(honest, "composer.json"), link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, otherUID, otherGID); err != nil {
		t.Fatal(err)
	}
	sources, run := NewSourceBatcher(), &countingRunner{} // safe for the read ahead's concurrent use
	for root, want := range map[string]string{honest: testenv.WebUser, linker: testenv.TestUser} {
		src, err := ReleaseSourceThrough(context.Background(), sources, "host", run, e, root, []string{honest, linker})
		if err != nil || src.ListAs != want {
			t.Errorf("%s lists as %q (%v), want %q", root, src.ListAs, err, want)
		}
	}
}

// A file that passes the script's tests but cannot be opened (a write-only file, a file
// swapped as it was read) fails its own root only, and no line of another shop's files
// reaches any error.
func TestReleaseSourceThatCannotBeOpenedFailsItsRootOnly(t *testing.T) {
	const writeOnly = "/sys/class/zram-control/hot_remove" // root passes test -r on it; open fails
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat(writeOnly); err != nil {
		t.Skip("no write-only sysfs file here")
	}
	honest, _ := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.WriteFile(filepath.Join(honest, "auth.json"), []byte(`{"bearer":{"repo.example.com":"SECRET-TOKEN"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "shop")
	if err := os.MkdirAll(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(writeOnly, filepath.Join(broken, "auth.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "composer.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readSourceFiles(context.Background(), &LocalRunner{}, []string{filepath.Join(honest, "composer.json"), filepath.Join(broken, "composer.json")})
	if err != nil {
		t.Fatalf("the whole read failed: %v", err)
	}
	if got[0].err != nil || !strings.Contains(got[0].val.auth, "SECRET-TOKEN") {
		t.Errorf("the honest shop: %v", got[0].err)
	}
	if got[1].err == nil || strings.Contains(got[1].err.Error(), "SECRET") || !strings.Contains(got[1].err.Error(), "not readable") {
		t.Errorf("the broken shop: %v", got[1].err)
	}
}

// A symlinked composer.json is read alone, and its target, which the shop's web user
// chooses, cannot forge the owner line that says who lists: the shop never lists as
// root through it.
func TestReleaseSourceSymlinkTargetCannotForgeTheOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the SSH user is root here")
	}
	testenv.EnsureWebUser(t)
	uid, gid := testenv.IDs(t, testenv.WebUser)
	shop := t.TempDir()
	manifest := filepath.Join(shop, "composer.json")
	target := "x\n" + sourceMark + " uids\nl 1 0 0 " + manifest + " -> y"
	if err := os.MkdirAll(filepath.Join(shop, filepath.Dir(target)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shop, target), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, manifest); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(manifest, uid, gid); err != nil {
		t.Fatal(err)
	}
	src, err := ReleaseSourceOf(context.Background(), &LocalRunner{}, Exec{}, shop)
	if err == nil && src.ListAs != testenv.WebUser {
		t.Fatalf("the shop lists as %q, want %q (the owner of its composer.json link)", src.ListAs, testenv.WebUser)
	}
}
