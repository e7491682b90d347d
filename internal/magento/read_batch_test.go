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

// shimGrep puts a grep in front of the real one that logs each call to a file and,
// with refuseZ, fails on -Z as BusyBox's grep does. It returns the PATH prefix and
// the log.
func shimGrep(t *testing.T, refuseZ bool) (pathPrefix, calls string) {
	t.Helper()
	grep, err := exec.LookPath("grep")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	refuse := ""
	if refuseZ {
		refuse = `case " $* " in *" -Z "*) echo "grep: unrecognized option: Z" >&2; exit 2 ;; esac` + "\n"
	}
	shim := fmt.Sprintf("#!/bin/sh\necho call >> %q\n%sexec %q \"$@\"\n", calls, refuse, grep)
	if err := os.WriteFile(filepath.Join(dir, "grep"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	return "PATH=" + dir + ":$PATH\n", calls
}

// readWithPrefix runs the read command for roots after prefix (a PATH change) and
// parses it; it returns the raw output too, for failure messages.
func readWithPrefix(t *testing.T, prefix string, roots []string) ([]RootResult, string) {
	t.Helper()
	res, err := (&LocalRunner{}).Run(context.Background(), "read", prefix+readScript(roots, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseRead(res.Stdout, roots, false)
	if err != nil {
		t.Fatal(err)
	}
	return got, string(res.Stdout)
}

func grepCalls(t *testing.T, log string) int {
	t.Helper()
	b, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "call")
}

// Composer-written roots are answered by ONE grep for the whole batch: no process per
// root, which is what a read costs on the host.
func TestReadBatchGrepsOnceForAllRoots(t *testing.T) {
	repo := sharedRepo(t)
	var roots []string
	for i := range 5 {
		roots = append(roots, repo.NewRoot(t, filepath.Join(t.TempDir(), fmt.Sprintf("shop %d", i)), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6", Extra: 20}))
	}
	prefix, log := shimGrep(t, false)
	got, out := readWithPrefix(t, prefix, roots)
	for i, r := range got {
		if r.Err != nil || r.Installation.MagentoVersion != "2.4.7-p3" || r.Installation.DMTVersion != "2.4.6" {
			t.Fatalf("root %d: got %+v, %v", i, r.Installation, r.Err)
		}
	}
	if n := grepCalls(t, log); n != 1 {
		t.Fatalf("grep ran %d times for %d roots, want once:\n%s", n, len(roots), out)
	}
}

// One batch mixing every kind of root: each gets its own answer, whichever path reads it,
// and all in one command. Without grep -Z (BusyBox), every root takes the per-root path.
func TestReadBatchAnswersEveryKindOfRootInOneCommand(t *testing.T) {
	repo := sharedRepo(t)
	composerRoot := repo.NewRoot(t, filepath.Join(t.TempDir(), "composer"), testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8.1"})
	gitClone := repo.NewRoot(t, filepath.Join(t.TempDir(), "git"), testenv.RootSpec{Magento: "2.4.7-p3", GitClone: true, DMT: "2.4.7"})
	noInstalled := repo.NewRoot(t, filepath.Join(t.TempDir(), "no-installed"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	if err := os.Remove(filepath.Join(noInstalled, "vendor/composer/installed.json")); err != nil {
		t.Fatal(err)
	}
	// A root whose path holds a newline and a colon: never on the grep path.
	oddDir := filepath.Join(t.TempDir(), "odd\nname:1")
	odd := repo.NewRoot(t, oddDir, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8"})
	minified := t.TempDir()
	write(t, minified, "composer.json", `{"name":"magento/project-community-edition"}`)
	write(t, minified, "composer.lock", `{"packages":[{"version":"2.4.6-p8","name":"magento/product-community-edition"}]}`)
	write(t, minified, "vendor/composer/installed.json", `{"packages":[{"name":"magento/data-migration-tool","version":"2.4.6"}]}`)
	write(t, minified, "vendor/magento/data-migration-tool/composer.json", `{"name":"magento/data-migration-tool"}`)

	roots := []string{composerRoot, "/nonexistent/shop", gitClone, noInstalled, odd, minified, t.TempDir()}
	want := []string{"2.4.8 enterprise 2.4.8.1", "missing", "2.4.7-p3 community 2.4.7", "2.4.7-p3 community 2.4.7", "2.4.8 community 2.4.8", "2.4.6-p8 community 2.4.6", "not-magento"}
	for _, refuseZ := range []bool{false, true} {
		t.Run(fmt.Sprintf("grep refuses -Z: %v", refuseZ), func(t *testing.T) {
			prefix, _ := shimGrep(t, refuseZ)
			got, _ := readWithPrefix(t, prefix, roots)
			expectReads(t, roots, got, want)
		})
	}
}

// A root asked for twice in one batch (a resource and a data source on one shop) is
// read once, and both callers get its answer.
func TestReadManyReadsARepeatedRootOnce(t *testing.T) {
	repo := sharedRepo(t)
	a := repo.NewRoot(t, filepath.Join(t.TempDir(), "a"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	b := repo.NewRoot(t, filepath.Join(t.TempDir(), "b"), testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8"})
	runner := &scriptRecorder{}
	res, err := ReadMany(context.Background(), runner, []string{a, b, a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Installation.DMTVersion != "2.4.6" || res[1].Installation.DMTVersion != "2.4.8" || res[2].Installation.DMTVersion != "2.4.6" {
		t.Fatalf("got %+v", res)
	}
	if n := strings.Count(runner.script, ") root="); n != 2 {
		t.Fatalf("the command names %d roots, want 2", n)
	}
}

// scriptRecorder runs commands locally and keeps the last one.
type scriptRecorder struct{ script string }

func (s *scriptRecorder) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	s.script = cmd
	return (&LocalRunner{}).Run(ctx, label, cmd, stdin)
}
