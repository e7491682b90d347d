package magento

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// deployedRoot lays root out as Deployer does: releases/1 (the shop) and releases/2 (the
// next release, a copy), with current -> releases/1. It returns current, both releases
// and the Exec of the shop.
func deployedRoot(t *testing.T) (current, first, second string, e Exec) {
	t.Helper()
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	base := filepath.Dir(root)
	first, second, current = filepath.Join(base, "releases/1"), filepath.Join(base, "releases/2"), filepath.Join(base, "current")
	if err := os.MkdirAll(filepath.Dir(first), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(root, first); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", first, second).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := os.Symlink("releases/1", current); err != nil {
		t.Fatal(err)
	}
	return current, first, second, e
}

// A deploy switches `current` while Composer runs: the apply finishes on the release it
// started on (verify reads it; a restore writes it back), never touches the new release,
// and says so.
func TestDeploySwitchDuringTheApplyIsNeverFollowed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		composer string
	}{
		{"the upgrade completes", `exec composer "$@"`},
		{"the upgrade fails and is restored", `composer "$@"; exit 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			current, first, second, e := deployedRoot(t)
			e.Composer = fakeComposer(t, `[ "$1" = require ] || exec composer "$@"
ln -sfn releases/2 `+current+`.new && mv -T `+current+`.new `+current+`
`+tc.composer)
			before1, before2 := testenv.Digest(t, first, guarded...), testenv.Digest(t, second, guarded...)
			p := params(current).ChangeParams
			p.Target = "2.4.7"
			res, err := Change(context.Background(), &LocalRunner{}, e, p)
			if diff := testenv.DiffDigests(before2, testenv.Digest(t, second, guarded...)); diff != "" {
				t.Fatalf("the new release was touched:\n%s", diff)
			}
			var ce *ChangeError
			if tc.name == "the upgrade completes" {
				if err != nil || res.Installed != "2.4.7" || !strings.Contains(strings.Join(res.Warnings, "\n"), "a deploy switched it") {
					t.Fatalf("want the upgrade of releases/1 and the switch named: %+v %v", res, err)
				}
				if got := composerRequirement(t, first); got != "2.4.7" {
					t.Fatalf("releases/1 requires %q", got)
				}
				return
			}
			if !errors.As(err, &ce) || !ce.Restored || ce.Moved == "" {
				t.Fatalf("want releases/1 restored and the switch named: %v", err)
			}
			if diff := testenv.DiffDigests(before1, testenv.Digest(t, first, guarded...)); diff != "" {
				t.Fatalf("releases/1 is not as before:\n%s", diff)
			}
		})
	}
}
