package magento

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// slotWait is an apply of a lagging root (the plan saw Magento 2.4.7-p3 and the tool at
// 2.4.6) started while a live apply holds the host's only Composer slot. waiting is
// closed at the script's first word of the wait; done gets the apply's result.
type slotWait struct {
	root, slots, held string
	p                 ChangeParams
	waiting           chan struct{}
	done              chan slotWaitResult
}

type slotWaitResult struct {
	res ChangeResult
	err error
}

func startSlotWait(t *testing.T) *slotWait {
	t.Helper()
	root, e, p, slots := slotRoot(t, 1)
	p.ExpectMagento, p.ExpectInstalled, p.CheckInstalled = "2.4.7-p3", "2.4.6", true
	return waitingApply(t, root, e, p, slots)
}

// waitingApply starts the apply p of root while a live apply holds slot 1 of slots, and
// returns once the apply says it waits for it.
func waitingApply(t *testing.T, root string, e Exec, p ChangeParams, slots string) *slotWait {
	t.Helper()
	w := &slotWait{root: root, slots: slots, p: p, waiting: make(chan struct{}), done: make(chan slotWaitResult, 1)}
	w.held = holdSlot(t, slots, 1, holderHere(t, liveProcess(t)), "")
	var once bool
	w.p.OnSlot = func(n SlotNews) {
		if !n.Held && !once {
			once = true
			close(w.waiting)
		}
	}
	go func() {
		res, err := Change(context.Background(), &streamingRunner{}, e, w.p)
		w.done <- slotWaitResult{res, err}
	}()
	select {
	case <-w.waiting:
	case r := <-w.done:
		t.Fatalf("the apply did not wait for the host's slot: %+v %v", r.res, r.err)
	case <-time.After(time.Minute):
		t.Fatal("no word of the wait")
	}
	return w
}

// free frees the held slot, as the apply holding it does when its Composer ends.
func (w *slotWait) free(t *testing.T) slotWaitResult {
	t.Helper()
	if err := os.RemoveAll(w.held); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-w.done:
		return r
	case <-time.After(time.Minute):
		t.Fatal("the apply did not end after the slot was freed")
	}
	return slotWaitResult{}
}

// archives lists the backups the apply wrote for its root.
func (w *slotWait) archives(t *testing.T) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(w.p.BackupDir, ArchivePrefixFor(w.root)+"*.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// The host's slot is for Composer: while another root's Composer holds the only one,
// this root's apply has checked and backed up its shop already (those run beside other
// roots' Composers) and waits, registered to be woken, with the shop untouched. Once
// the slot is freed it upgrades, and leaves no slot and no registration behind.
func TestApplyBacksUpBeforeItWaitsForTheHostsSlot(t *testing.T) {
	w := startSlotWait(t)
	if got := w.archives(t); len(got) != 1 {
		t.Fatalf("want the backup taken before the wait for the slot, found %v", got)
	}
	if waiters, _ := filepath.Glob(filepath.Join(w.slots, "wait.*")); len(waiters) != 1 {
		t.Fatalf("want the waiting apply registered to be woken, found %v", waiters)
	}
	if got := composerRequirement(t, w.root); got != "2.4.6" {
		t.Fatalf("composer.json changed while the apply waited for a slot: %s", got)
	}
	r := w.free(t)
	if r.err != nil || r.res.Installed != "2.4.7" {
		t.Fatalf("want the upgrade once the slot was free: %+v %v", r.res, r.err)
	}
	if left, _ := filepath.Glob(filepath.Join(w.slots, "*")); len(left) != 0 {
		t.Fatalf("the apply left slots or registrations: %v", left)
	}
}

// Magento upgraded by hand while the apply waited for the host's slot: the plan is
// stale, Composer never runs, and the upgrade is kept (the backup taken before the
// wait is not restored over it).
func TestMagentoUpgradedDuringTheHostSlotWaitIsStaleAndKept(t *testing.T) {
	w := startSlotWait(t)
	cmd := exec.Command("composer", "require", "magento/product-community-edition:2.4.8", "-W", "--no-interaction", "--quiet")
	cmd.Dir, cmd.Env = w.root, append(os.Environ(), sharedRepo(t).ComposerEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	after := testenv.Digest(t, w.root, guarded...)
	r := w.free(t)
	var stale *StalePlanError
	if !errors.As(r.err, &stale) || stale.Planned != "2.4.7-p3" || stale.Now != "2.4.8" {
		t.Fatalf("want the plan refused as stale (2.4.7-p3 -> 2.4.8), got %v", r.err)
	}
	if diff := testenv.DiffDigests(after, testenv.Digest(t, w.root, guarded...)); diff != "" {
		t.Fatalf("the shop changed after the Magento upgrade: %s", diff)
	}
}

// composer.json edited while the apply waited (a module added by hand; Magento and the
// tool as planned): Composer never runs, so the edit is kept, and the error says why.
func TestShopChangedDuringTheHostSlotWaitIsKept(t *testing.T) {
	w := startSlotWait(t)
	path := filepath.Join(w.root, "composer.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	manifest["description"] = "edited by hand during the wait"
	edited, _ := json.MarshalIndent(manifest, "", "    ")
	if err := os.WriteFile(path, edited, 0o644); err != nil { //nolint:gosec // a shop's manifest is world-readable
		t.Fatal(err)
	}
	after := testenv.Digest(t, w.root, guarded...)
	r := w.free(t)
	var change *ChangeError
	if !errors.As(r.err, &change) || change.Step != "waited-changed" || !change.Unchanged {
		t.Fatalf("want the apply stopped, nothing changed, because the shop changed during the wait: %v", r.err)
	}
	if !strings.Contains(r.err.Error(), "that change is kept") {
		t.Fatalf("the error does not say the change is kept: %v", r.err)
	}
	if diff := testenv.DiffDigests(after, testenv.Digest(t, w.root, guarded...)); diff != "" {
		t.Fatalf("the edit made during the wait was not kept: %s", diff)
	}
}

// Cancelled (Ctrl-C) while it waits for the host's slot, over SSH as Terraform runs
// it: the apply stops with the shop untouched, and leaves no registration to be woken
// and no lock behind.
func TestApplyCancelledWhileWaitingForTheHostsSlotChangesNothing(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	root, e, p, slots := slotRoot(t, 1)
	holdSlot(t, slots, 1, holderHere(t, liveProcess(t)), "")
	before := testenv.Digest(t, root, guarded...)
	// Ctrl-C once the apply waits, registered to be woken.
	cl, ctx := dialAndCancelWhen(t, s, func() bool {
		waiters, _ := filepath.Glob(filepath.Join(slots, "wait.*"))
		return len(waiters) > 0
	})
	_, err := Change(ctx, cl, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "interrupted" || !ce.Unchanged || !errors.Is(err, context.Canceled) {
		t.Fatalf("want an interrupted apply that changed nothing, got %v", err)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("the cancelled apply changed the shop: %s", diff)
	}
	if waiters, _ := filepath.Glob(filepath.Join(slots, "wait.*")); len(waiters) != 0 {
		t.Fatalf("the cancelled apply left its registration: %v", waiters)
	}
	if _, err := os.Stat(filepath.Join(root, "var", lockName)); !os.IsNotExist(err) {
		t.Fatalf("the cancelled apply left its lock: %v", err)
	}
}

// A Deployer-style shop whose composer.lock is a link into shared/: a Magento upgrade
// written through the link while the apply waits for the host's slot is seen (the
// fingerprint reads what the link points at), and the plan is refused as stale.
func TestMagentoUpgradedThroughALinkedLockDuringTheSlotWaitIsStale(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	shared := filepath.Join(filepath.Dir(root), "shared")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(root, "composer.lock")
	if err := os.Rename(lock, filepath.Join(shared, "composer.lock")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared/composer.lock", lock); err != nil {
		t.Fatal(err)
	}
	p := params(root).ChangeParams
	p.Target, p.HostSlots, p.ExpectMagento = "2.4.7", 1, "2.4.7-p3"
	slots := hostSlotsDir(t, p)
	w := waitingApply(t, root, e, p, slots)
	replaceIn(t, filepath.Join(shared, "composer.lock"), `"version": "2.4.7-p3"`, `"version": "2.4.8"`)
	r := w.free(t)
	var stale *StalePlanError
	if !errors.As(r.err, &stale) || stale.Planned != "2.4.7-p3" || stale.Now != "2.4.8" {
		t.Fatalf("want the plan refused as stale (2.4.7-p3 -> 2.4.8), got %v", r.err)
	}
}

// An interrupted apply's owed restore ran, then Magento was upgraded while the apply
// waited for the host's slot: the plan is stale, and the error says the restore ran
// (it changed the shop), never "Nothing was changed".
func TestStalePlanAfterAnOwedRestoreSaysTheRestoreRan(t *testing.T) {
	root, e, p, archive := owingRoot(t)
	p.HostSlots, p.ExpectMagento = 1, "2.4.7-p3"
	slots := hostSlotsDir(t, p)
	w := waitingApply(t, root, e, p, slots)
	replaceIn(t, filepath.Join(root, "composer.lock"), `"version": "2.4.7-p3"`, `"version": "2.4.8"`)
	r := w.free(t)
	var stale *StalePlanError
	if !errors.As(r.err, &stale) || stale.Now != "2.4.8" {
		t.Fatalf("want the plan refused as stale, got %v", r.err)
	}
	if msg := r.err.Error(); strings.Contains(msg, "Nothing was changed") || !strings.Contains(msg, archive) {
		t.Fatalf("the owed restore from %s ran, but the error says: %s", archive, msg)
	}
}
