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

// defaultStateParams keeps the root's state where a plain apply as root keeps it (the
// read looks there), and removes it when the test ends.
func defaultStateParams(t *testing.T, root string) ConvergeParams {
	t.Helper()
	p := params(root)
	p.StateBase, p.BackupDir = "", StateDir(RootStateBase, root)
	t.Cleanup(func() { _ = os.RemoveAll(StateDir(RootStateBase, root)) })
	return p
}

// The read reports a restore owed by an interrupted apply (a record in the SSH user's
// private state directory), and nothing once it is gone.
func TestReadReportsAnOwedRestore(t *testing.T) {
	root, _ := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	p := defaultStateParams(t, root)
	if err := os.MkdirAll(p.BackupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(p.BackupDir, "owed")
	if err := os.WriteFile(record, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inst, err := Read(context.Background(), &LocalRunner{}, root, nil)
	if err != nil || !inst.OwedRestore {
		t.Fatalf("want the owed restore reported: %+v, %v", inst, err)
	}
	if err := os.Remove(record); err != nil {
		t.Fatal(err)
	}
	if inst, err := Read(context.Background(), &LocalRunner{}, root, nil); err != nil || inst.OwedRestore {
		t.Fatalf("no record, no owed restore: %+v, %v", inst, err)
	}
}

// Killed after Composer finished but before the custom files were carried: the tool
// looks in sync, yet the apply runs the owed restore (the custom file comes back), then
// the upgrade, which carries it into the new version.
func TestOwedRestoreRunsWhenVersionsLookInSync(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	custom := filepath.Join(root, dirDMT, "etc/custom-map.xml")
	if err := os.WriteFile(custom, []byte("<map custom=\"yes\"/>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := defaultStateParams(t, root)
	archive := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	// The killed apply: archived, Composer upgraded (dropping the custom file), no carry.
	interruptedApplyIn(t, root, archive, p.BackupDir)
	if _, err := os.Stat(custom); !os.IsNotExist(err) {
		t.Fatal("the fixture's Composer should have dropped the custom file")
	}
	p.CarryCustomFiles = true
	p.PlannedTarget = "2.4.7" // the plan saw 2.4.7 installed, in sync, and a restore owed
	inst, res, err := Converge(context.Background(), &LocalRunner{}, e, p)
	if err != nil {
		t.Fatal(err)
	}
	if inst.DMTVersion != "2.4.7" || res.Previous != "2.4.6" || !strings.Contains(strings.Join(res.Warnings, "\n"), "restored "+archive) {
		t.Fatalf("want the owed restore, then the upgrade: %+v %+v", inst, res)
	}
	if b, err := os.ReadFile(custom); err != nil || !strings.Contains(string(b), "custom") {
		t.Fatalf("the custom file was not carried into the new version: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(p.BackupDir, "owed")); !os.IsNotExist(err) {
		t.Fatalf("the record must go once the restore and the apply completed: %v", err)
	}
}

// An archive write interrupted outright (kill -9) leaves its .part, which may hold
// config.xml's passwords: the next apply removes it.
func TestAnEarlierApplysPartialArchiveIsRemoved(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	if err := os.MkdirAll(p.BackupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz.part")
	if err := os.WriteFile(part, []byte("half an archive"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Fatalf("the earlier apply's partial archive is still there: %v", err)
	}
}

// The stale-plan check runs inside the apply's lock, after the Composer slot: Magento
// upgraded while the apply waited for its turn is seen, and composer require never runs.
func TestMagentoUpgradedDuringTheSlotWaitIsStale(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root)
	p.ExpectMagento, p.ExpectInstalled, p.CheckInstalled, p.PlannedTarget = "2.4.7-p3", "2.4.6", true, "2.4.7"
	p.BeforeComposer = func(ctx context.Context) (context.Context, func(), error) {
		// While this apply waits for a slot, the operator upgrades Magento by hand.
		cmd := exec.Command("composer", "require", "magento/product-community-edition:2.4.8", "-W", "--no-interaction", "--quiet")
		cmd.Dir, cmd.Env = root, append(os.Environ(), sharedRepo(t).ComposerEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		return ctx, func() {}, nil
	}
	before := testenv.Digest(t, root, guarded...)
	_, _, err := Converge(context.Background(), &LocalRunner{}, e, p)
	var stale *StalePlanError
	if !errors.As(err, &stale) || stale.Planned != "2.4.7-p3" || stale.Now != "2.4.8" {
		t.Fatalf("want the plan refused as stale (2.4.7-p3 -> 2.4.8), got %v", err)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff == "" {
		t.Fatal("the fixture's upgrade did not happen")
	}
	if got := composerRequirement(t, root); got != "2.4.6" {
		t.Fatalf("composer require ran after the stale check: the tool requirement is %q", got)
	}
}

// A power cut in the middle of a restore can leave composer.json missing: the read then
// fails (not a Magento root), and says that a restore is owed and where its record is.
func TestReadOfABrokenRootNamesTheOwedRestore(t *testing.T) {
	root, _ := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	p := defaultStateParams(t, root)
	if err := os.MkdirAll(p.BackupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.BackupDir, "owed"), []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "composer.json")); err != nil {
		t.Fatal(err)
	}
	_, err := Read(context.Background(), &LocalRunner{}, root, nil)
	if err == nil || !strings.Contains(err.Error(), "owes this root a restore") || !strings.Contains(err.Error(), p.BackupDir) {
		t.Fatalf("want the owed restore named, got %v", err)
	}
}
