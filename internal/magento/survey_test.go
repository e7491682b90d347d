package magento

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// surveyCase is a shop whose files the case's edit changes after Composer made them.
type surveyCase struct {
	name string
	spec testenv.RootSpec
	dev  bool                            // composer require --dev the tool (spec.DMT empty)
	edit func(t *testing.T, root string) // nil: as Composer wrote it
	// fast: grep and awk answer it all; PHP must not be needed (it fails in that run).
	fast bool
}

// The apply's survey (owner_tasks.sh) reads a shop with two greps and one awk, and must
// agree with the readers it stands in for: magento_version and installed_version (the
// one-by-one readers the read shares) and section.php. Shops as Composer writes them
// are answered without PHP; any other layout falls back to the references.
func TestSurveyAgreesWithTheReferenceReaders(t *testing.T) {
	cases := []surveyCase{
		{name: "require, packages", spec: testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}, fast: true},
		{name: "require-dev, packages-dev", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, dev: true, fast: true},
		{name: "not installed", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, fast: true},
		{name: "commerce", spec: testenv.RootSpec{Magento: "2.4.7-p3", Edition: "enterprise", DMT: "2.4.6"}, fast: true},
		{name: "base only", spec: testenv.RootSpec{Magento: "2.4.7-p3", BaseOnly: true, DMT: "2.4.6"}, fast: true},
		{name: "composer 1 installed.json", spec: testenv.RootSpec{Magento: "2.4.7-p3", Composer1: true, DMT: "2.4.6"}, fast: true},
		{name: "git clone", spec: testenv.RootSpec{Magento: "2.4.7-p3", GitClone: true, DMT: "2.4.6"}},
		{name: "require-dev in composer.json, packages in the lock", spec: testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}, fast: true,
			edit: func(t *testing.T, root string) { moveRequirement(t, root, "require", "require-dev", "    ") }},
		{name: "require in composer.json, packages-dev in the lock", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, dev: true, fast: true,
			edit: func(t *testing.T, root string) { moveRequirement(t, root, "require-dev", "require", "    ") }},
		{name: "composer.json in 2-space indents", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, dev: true, fast: true,
			edit: func(t *testing.T, root string) { moveRequirement(t, root, "require-dev", "require-dev", "  ") }},
		{name: "composer.json on one line", spec: testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}, fast: true,
			edit: func(t *testing.T, root string) { moveRequirement(t, root, "require", "require", "") }},
		{name: "the tool named only outside require", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, fast: true,
			edit: func(t *testing.T, root string) {
				editJSON(t, filepath.Join(root, "composer.json"), "    ", func(doc map[string]any) {
					doc["suggest"] = map[string]any{Package: "for migrations"}
					doc["extra"] = map[string]any{"require": map[string]any{Package: "2.4.6"}}
					doc["config"] = map[string]any{"allow-plugins": map[string]any{Package: true}}
				})
			}},
		{name: "an escaped slash in composer.json", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, dev: true,
			edit: func(t *testing.T, root string) {
				replaceIn(t, filepath.Join(root, "composer.json"), `"`+Package+`"`, `"magento\/data-migration-tool"`)
			}},
		{name: "a minified lock", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, dev: true,
			edit: func(t *testing.T, root string) {
				editJSON(t, filepath.Join(root, "composer.lock"), "", func(map[string]any) {})
			}},
		{name: "a lock in 2-space indents", spec: testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"},
			edit: func(t *testing.T, root string) {
				editJSON(t, filepath.Join(root, "composer.lock"), "  ", func(map[string]any) {})
			}},
		{name: "the tool in packages and packages-dev", spec: testenv.RootSpec{Magento: "2.4.7-p3"}, dev: true, fast: true,
			edit: func(t *testing.T, root string) {
				editJSON(t, filepath.Join(root, "composer.lock"), "    ", func(doc map[string]any) {
					packages, _ := doc["packages"].([]any)
					dev, _ := doc["packages-dev"].([]any)
					if len(dev) == 0 {
						t.Fatal("the lock has no packages-dev")
					}
					doc["packages"] = append(packages, dev...)
				})
			}},
	}
	r := sharedRepo(t)
	failingPHP := fakeComposer(t, "exit 1")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := r.NewRoot(t, filepath.Join(t.TempDir(), "magento"), c.spec)
			if c.dev {
				cmd := exec.Command("composer", "require", "--dev", Package+":2.4.6", "--no-interaction", "--quiet")
				cmd.Dir, cmd.Env = root, append(os.Environ(), r.ComposerEnv...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%v %s", err, out)
				}
			}
			if c.edit != nil {
				c.edit(t, root)
			}
			want := ownerRun(t, Exec{}, root, `magento_version "$1"; installed_version "$1"; "$php" -r "$section_php" "$1" "$package" | sed -n 's/^@section //p'`)
			php := Exec{}
			if c.fast {
				php.PHP = failingPHP
			}
			got := ownerRun(t, php, root, `surveyed "$1"; printf '%s\n%s\n' "$v_magento" "$v_tool"; sections "$1"`)
			if got != want {
				t.Fatalf("the survey read\n%s\nthe reference readers\n%s", got, want)
			}
			if lines := strings.Split(want, "\n"); len(lines) != 4 || lines[0] == "" || lines[2] == "" {
				t.Fatalf("the references answered too little (a broken case): %q", want)
			}
		})
	}
}

// ownerRun runs body after owner_tasks.sh and what it needs, with the root as $1.
func ownerRun(t *testing.T, e Exec, root, body string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", ownerLib(e)+body, "sh", root).Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return string(out)
}

// moveRequirement moves the tool from one section of composer.json to another and
// writes it back with indent ("" for one line).
func moveRequirement(t *testing.T, root, from, to, indent string) {
	t.Helper()
	editJSON(t, filepath.Join(root, "composer.json"), indent, func(doc map[string]any) {
		src, _ := doc[from].(map[string]any)
		v, ok := src[Package]
		if !ok {
			t.Fatalf("composer.json has no %s in %s", Package, from)
		}
		delete(src, Package)
		dst, _ := doc[to].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			doc[to] = dst
		}
		dst[Package] = v
	})
}

// editJSON rewrites a JSON file after change, indented with indent ("": one line),
// slashes unescaped as Composer writes them.
func editJSON(t *testing.T, path, indent string, change func(map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceIn(t *testing.T, path, old, replacement string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(old)) {
		t.Fatalf("%s has no %s", path, old)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(raw, []byte(old), []byte(replacement)), 0o644); err != nil {
		t.Fatal(err)
	}
}
