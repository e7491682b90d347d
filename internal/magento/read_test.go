package magento

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveSharedRepo()
	os.Exit(code)
}

func sharedRepo(t *testing.T) *testenv.Repo { return testenv.SharedRepo(t) }

// Magento's version and edition and the tool's version, as Magento and Composer record
// them, for every kind of root a shop has, in one command each.
func TestReadGivesTheVersionsOfEveryKindOfRoot(t *testing.T) {
	r := sharedRepo(t)
	for _, tc := range []struct {
		name                  string
		spec                  testenv.RootSpec
		magento, edition, dmt string
	}{
		{"community with an old tool", testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}, "2.4.7-p3", "community", "2.4.6"},
		{"composer 1 installed.json", testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6", Composer1: true}, "2.4.7-p3", "community", "2.4.6"},
		{"enterprise with hotfix tool", testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8.1"}, "2.4.8", "enterprise", "2.4.8.1"},
		{"adobe commerce cloud", testenv.RootSpec{Edition: "enterprise", Magento: "2.4.7-p3", Cloud: true}, "2.4.7-p3", "enterprise", ""},
		{"no tool", testenv.RootSpec{Magento: "2.4.8"}, "2.4.8", "community", ""},
		{"magento2-base only", testenv.RootSpec{Magento: "2.4.7-p3", BaseOnly: true, DMT: "2.4.7"}, "2.4.7-p3", "community", "2.4.7"},
		{"git clone", testenv.RootSpec{Magento: "2.4.7-p3", GitClone: true, DMT: "2.4.7"}, "2.4.7-p3", "community", "2.4.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := r.NewRoot(t, filepath.Join(t.TempDir(), "magento root"), tc.spec)
			runner := &LocalRunner{}
			inst, err := Read(context.Background(), runner, root, nil)
			if err != nil {
				t.Fatal(err)
			}
			if inst.MagentoVersion != tc.magento || inst.Edition != tc.edition || inst.DMTVersion != tc.dmt {
				t.Fatalf("got %+v, want magento %s %s, tool %q", inst, tc.magento, tc.edition, tc.dmt)
			}
			if runner.Calls != 1 {
				t.Fatalf("read used %d commands, want 1", runner.Calls)
			}
		})
	}
}

func TestReadFallsBackToTheToolsComposerJSON(t *testing.T) {
	root := sharedRepo(t).NewRoot(t, filepath.Join(t.TempDir(), "shop"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	if err := os.Remove(filepath.Join(root, "vendor/composer/installed.json")); err != nil {
		t.Fatal(err)
	}
	inst, err := Read(context.Background(), &LocalRunner{}, root, nil)
	if err != nil || inst.DMTVersion != "2.4.7" {
		t.Fatalf("got %+v, %v", inst, err)
	}
}

// A tool directory removed by hand reads as not installed, whatever installed.json says.
func TestReadToolDirectoryRemovedMeansNotInstalled(t *testing.T) {
	root := sharedRepo(t).NewRoot(t, filepath.Join(t.TempDir(), "shop"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	if err := os.RemoveAll(filepath.Join(root, "vendor/magento/data-migration-tool")); err != nil {
		t.Fatal(err)
	}
	inst, err := Read(context.Background(), &LocalRunner{}, root, nil)
	if err != nil || inst.DMTVersion != "" {
		t.Fatalf("a missing tool directory means not installed, got %+v, %v", inst, err)
	}
}

// Minified JSON, with look-alike names in nested objects and braces inside strings,
// reads as the full parser reads it.
func TestReadParsesMinifiedJSONInFull(t *testing.T) {
	root := t.TempDir()
	write(t, root, "composer.json", `{"name":"magento/project-community-edition","require":{"magento/product-community-edition":"2.4.8"}}`)
	write(t, root, "composer.lock", `{"packages":[{"name":"magento/framework","version":"103.0.8","authors":[{"name":"magento/product-enterprise-edition"}]},{"version":"2.4.8","require":{"a":"b, {c}"},"name":"magento/product-community-edition"}]}`)
	write(t, root, "vendor/composer/installed.json", `{"packages":[{"name":"magento/data-migration-tool","description":"x, \"y\" }","version":"2.4.8.1"}],"dev":false}`)
	write(t, root, "vendor/magento/data-migration-tool/composer.json", `{"name":"magento/data-migration-tool"}`)
	inst, err := Read(context.Background(), &LocalRunner{}, root, nil)
	if err != nil || inst.MagentoVersion != "2.4.8" || inst.Edition != "community" || inst.DMTVersion != "2.4.8.1" {
		t.Fatalf("got %+v, %v", inst, err)
	}
}

// What is not a Magento root (missing, empty, a file, another project) is refused with
// its kind and reason; quotes in the path run nothing.
func TestReadRefusesWhatIsNotAMagentoRoot(t *testing.T) {
	notMagento := t.TempDir()
	write(t, notMagento, "composer.json", `{"name": "acme/site", "require": {"php": "^8.1"}}`)
	file := filepath.Join(t.TempDir(), "a-file")
	write(t, filepath.Dir(file), "a-file", "x")
	for _, tc := range []struct {
		name, root string
		kind       ErrorKind
		msg        string
	}{
		{"missing", "/nonexistent/magento", ErrRootMissing, "does not exist"},
		{"empty dir", t.TempDir(), ErrNotMagento, "no composer.json"},
		{"a file", file, ErrNotMagento, "not a directory"},
		{"other project", notMagento, ErrNotMagento, "names a Magento version"},
		{"injection in the path", "/tmp/x'; touch /tmp/injected-by-test; '", ErrRootMissing, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(context.Background(), &LocalRunner{}, tc.root, nil)
			var ie *InstallError
			if !errors.As(err, &ie) || ie.Kind != tc.kind || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("want %s error containing %q, got %v", tc.kind, tc.msg, err)
			}
		})
	}
	if _, err := os.Stat("/tmp/injected-by-test"); err == nil {
		t.Fatal("a quote in magento_root ran a command")
	}
}

// ReadMany answers each root, PHP's and Composer's versions too, in one command.
func TestReadManyReadsEveryRootInOneCommand(t *testing.T) {
	r := sharedRepo(t)
	a := r.NewRoot(t, filepath.Join(t.TempDir(), "a"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	b := r.NewRoot(t, filepath.Join(t.TempDir(), "b"), testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8"})
	runner := &LocalRunner{}
	res, err := ReadMany(context.Background(), runner, []string{a, "/nonexistent", b}, &Tools{PHP: "php", Composer: "composer"})
	if err != nil {
		t.Fatal(err)
	}
	if runner.Calls != 1 || res[0].Installation.DMTVersion != "2.4.6" || !IsNotMagento(res[1].Err) ||
		res[2].Installation.Edition != "enterprise" || res[2].Installation.DMTVersion != "" {
		t.Fatalf("got %+v in %d commands", res, runner.Calls)
	}
	if !strings.HasPrefix(res[0].Installation.PHPVersion, "8.") || !strings.HasPrefix(res[0].Installation.ComposerVersion, "2.") {
		t.Fatalf("php/composer versions not read: %+v", res[0].Installation)
	}
}

// The parser takes the version Magento itself reads (the lock over the root, the
// enterprise product when the lock holds both, installed.json over the tool's
// composer.json), skips what a login shell prints before the protocol, and refuses any
// line the protocol does not name.
func TestParseReadPrefersWhatMagentoReadsAndRefusesStrayLines(t *testing.T) {
	roots := []string{"/a"}
	for _, tc := range []struct {
		name, out             string
		magento, edition, dmt string
		err                   string
	}{
		{"lock wins over root", "@root 0\n@pkg root magento/magento2ce 2.4.6\n@pkg lock magento/product-community-edition 2.4.7-p3\n@dmtdir no\n", "2.4.7-p3", "community", "", ""},
		{"commerce lock holds both editions, community first", "@root 0\n@pkg lock magento/magento2-base 2.4.7-p3\n@pkg lock magento/magento2-ee-base 2.4.7-p3\n" +
			"@pkg lock magento/product-community-edition 2.4.7-p3\n@pkg lock magento/product-enterprise-edition 2.4.7-p3\n@dmtdir no\n", "2.4.7-p3", "enterprise", "", ""},
		{"community lock", "@root 0\n@pkg lock magento/magento2-base 2.4.8\n@pkg lock magento/product-community-edition 2.4.8\n@dmtdir no\n", "2.4.8", "community", "", ""},
		{"ee base", "@root 0\n@pkg lock magento/magento2-base 2.4.7\n@pkg lock magento/magento2-ee-base 2.4.7\n@dmtdir no\n", "2.4.7", "enterprise", "", ""},
		{"installed wins over tool json", "@root 0\n@pkg lock magento/product-community-edition 2.4.7\n@dmtdir yes\n@pkg dmt magento/data-migration-tool 2.4.6\n@pkg installed magento/data-migration-tool 2.4.7\n", "2.4.7", "community", "2.4.7", ""},
		{"rc noise", "Welcome!\n@root 0\n@pkg lock magento/product-community-edition 2.4.7\n@dmtdir no\n", "2.4.7", "community", "", ""},
		{"unreadable", "@root 0\n@error unreadable /a/composer.lock\n", "", "", "", "/a/composer.lock is not readable"},
		{"nothing printed", "", "", "", "", "printed nothing"},
		{"bad index", "@root 7\n", "", "", "", "unexpected reader output"},
		{"unknown kind", "@root 0\n@pkg lock magento/product-community-edition 2.4.7\n@dmtdir no\n@cand 1 /b\n@injected x\n", "", "", "", "unexpected reader output"},
		{"bad dmtdir", "@root 0\n@pkg lock magento/product-community-edition 2.4.7\n@dmtdir no@root 0\n", "", "", "", "unexpected reader output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := parseRead([]byte(tc.out), roots, false)
			if err == nil {
				err = res[0].Err
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want error %q, got %v", tc.err, err)
				}
				return
			}
			inst := res[0].Installation
			if err != nil || inst.MagentoVersion != tc.magento || inst.Edition != tc.edition || inst.DMTVersion != tc.dmt {
				t.Fatalf("got %+v, %v", inst, err)
			}
		})
	}
}

func FuzzParseRead(f *testing.F) {
	f.Add("@root 0\n@pkg lock magento/product-community-edition 2.4.7\n@dmtdir yes\n@pkg installed magento/data-migration-tool 2.4.6\n")
	f.Add("@root 0\n@error unreadable x\n@php PHP 8.2.1\n@composer Composer version 2.5.5")
	f.Fuzz(func(t *testing.T, out string) {
		res, err := parseRead([]byte(out), []string{"/a", "/b"}, true)
		if err == nil && len(res) != 2 {
			t.Fatalf("got %d results for 2 roots", len(res))
		}
		for _, r := range res {
			if r.Err == nil && r.Installation.MagentoVersion == "" {
				t.Fatalf("a result without error must have a Magento version: %+v", r)
			}
		}
	})
}

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Hand-edited files where "version" does not follow "name" must still read right:
// the grep fast path hands over to the full parser.
func TestReadFallsBackWhenVersionDoesNotFollowName(t *testing.T) {
	root := t.TempDir()
	write(t, root, "composer.json", `{"name": "magento/project-community-edition"}`)
	write(t, root, "composer.lock", "{\n    \"packages\": [\n        {\n            \"name\": \"magento/product-enterprise-edition\",\n            \"type\": \"metapackage\",\n            \"version\": \"2.4.8\"\n        }\n    ]\n}\n")
	write(t, root, "vendor/composer/installed.json", "{\n    \"packages\": [\n        {\n            \"version\": \"2.4.8.1\",\n            \"name\": \"magento/data-migration-tool\"\n        }\n    ]\n}\n")
	write(t, root, "vendor/magento/data-migration-tool/composer.json", `{"name": "magento/data-migration-tool"}`)
	inst, err := Read(context.Background(), &LocalRunner{}, root, nil)
	if err != nil || inst.MagentoVersion != "2.4.8" || inst.Edition != "enterprise" || inst.DMTVersion != "2.4.8.1" {
		t.Fatalf("got %+v, %v", inst, err)
	}
}

// Composer-written files take the grep fast path: the full parser never runs.
func TestReadUsesTheFastPathOnComposerFiles(t *testing.T) {
	root := sharedRepo(t).NewRoot(t, filepath.Join(t.TempDir(), "shop"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6", Extra: 20})
	for _, file := range []string{"composer.lock", "vendor/composer/installed.json"} {
		script := extractPrelude + `extract_awk='{ print "@slow-path" }'` + "\nextract_packages " + filepath.Join(root, file) + " lock\n"
		res, err := (&LocalRunner{}).Run(context.Background(), "x", script, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := string(res.Stdout)
		if strings.Contains(out, "@slow-path") || !strings.Contains(out, "@pkg lock magento/data-migration-tool 2.4.6") {
			t.Fatalf("%s: want the fast path's @pkg lines, got %q", file, out)
		}
	}
}
