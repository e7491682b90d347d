package magento

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// busyBoxRunner runs commands as an Alpine-like host would: BusyBox's sh, with only
// the applets in path (grep without -Z, BusyBox awk and tr).
type busyBoxRunner struct{ path string }

func (b busyBoxRunner) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	c := exec.CommandContext(ctx, filepath.Join(b.path, "sh"), "-c", cmd)
	c.Env = []string{"PATH=" + b.path, "HOME=/"}
	c.Stdin = strings.NewReader(string(stdin))
	out, err := c.Output()
	return shell.Result{Stdout: out}, err
}

// describe is a read's answer in one comparable line.
func describe(r RootResult) string {
	if ie, ok := r.Err.(*InstallError); ok {
		return string(ie.Kind)
	}
	if r.Err != nil {
		return r.Err.Error()
	}
	return fmt.Sprintf("%s %s %s", r.Installation.MagentoVersion, r.Installation.Edition, r.Installation.DMTVersion)
}

// expectReads compares each root's answer with want, in describe's words.
func expectReads(t *testing.T, roots []string, got []RootResult, want []string) {
	t.Helper()
	for i, r := range got {
		if d := describe(r); d != want[i] {
			t.Errorf("root %q: got %q, want %q", roots[i], d, want[i])
		}
	}
}

// On a host whose sh, grep and awk are BusyBox, every kind of root reads as it does with
// GNU tools.
func TestReadOnBusyBoxHostAnswersAsWithGNU(t *testing.T) {
	repo := sharedRepo(t)
	roots := []string{
		repo.NewRoot(t, filepath.Join(t.TempDir(), "community"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}),
		repo.NewRoot(t, filepath.Join(t.TempDir(), "commerce"), testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8.1"}),
		repo.NewRoot(t, filepath.Join(t.TempDir(), "cloud"), testenv.RootSpec{Edition: "enterprise", Magento: "2.4.7-p3", Cloud: true}),
		repo.NewRoot(t, filepath.Join(t.TempDir(), "git"), testenv.RootSpec{Magento: "2.4.7-p3", GitClone: true, DMT: "2.4.7"}),
		repo.NewRoot(t, filepath.Join(t.TempDir(), "composer1"), testenv.RootSpec{Magento: "2.4.6-p4", DMT: "2.4.6", Composer1: true}),
		"/nonexistent/shop",
		t.TempDir(),
	}
	want := []string{"2.4.7-p3 community 2.4.6", "2.4.8 enterprise 2.4.8.1", "2.4.7-p3 enterprise ", "2.4.7-p3 community 2.4.7",
		"2.4.6-p4 community 2.4.6", "missing", "not-magento"}
	for name, runner := range map[string]Runner{"GNU": &LocalRunner{}, "BusyBox": busyBoxRunner{testenv.BusyBox(t)}} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadMany(context.Background(), runner, roots, nil)
			if err != nil {
				t.Fatal(err)
			}
			expectReads(t, roots, got, want)
		})
	}
}

// A host tool that is missing or fails is reported as such, never as "not a Magento 2
// installation".
func TestReadReportsBrokenHostTools(t *testing.T) {
	repo := sharedRepo(t)
	root := repo.NewRoot(t, filepath.Join(t.TempDir(), "shop"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	noGrep := testenv.BusyBox(t, "grep")
	brokenAWK := testenv.BusyBox(t, "awk")
	if err := os.WriteFile(filepath.Join(brokenAWK, "awk"), []byte("#!"+filepath.Join(brokenAWK, "sh")+"\necho 'awk: cannot allocate memory' >&2\nexit 2\n"), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"grep missing", noGrep, "not installed on the host: grep"},
		{"awk failing", brokenAWK, "awk failed on the host reading " + root},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(context.Background(), busyBoxRunner{tc.path}, root, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || IsNotMagento(err) {
				t.Fatalf("got %v, want an error naming the tool: %q", err, tc.want)
			}
		})
	}
}
