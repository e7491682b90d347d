package magento

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A link's target is printed by ls, and the shop's user chooses it: the applier never
// expands it as a pattern (a target of /*/../*/../*/.. would take the applier's shell
// minutes and gigabytes, and no TERM stops an expansion). The shell's trace shows the
// words uid_of and user_of split ls's output into.
func TestApplyNeverExpandsALinkTargetOfTheShop(t *testing.T) {
	root, e, p := webOwnedRoot(t)
	probe := t.TempDir()
	if err := os.WriteFile(filepath.Join(probe, "expanded-by-the-applier"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	asWeb(t, root, fmt.Sprintf("rm -f composer.lock && ln -s '%s/*' composer.lock", probe))
	script := changeScript(e, p)
	var funcs strings.Builder
	for _, fn := range []string{"uid_of() {", "user_of() {"} {
		i := strings.Index(script, fn)
		if i < 0 {
			t.Fatalf("the apply script has no %s", fn)
		}
		body := script[i:]
		funcs.WriteString(body[:strings.Index(body, "\n}\n")+3])
	}
	out, err := exec.Command("sh", "-c", funcs.String()+`set -x; uid_of "$1"; user_of "$1"`, "sh", filepath.Join(root, "composer.lock")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), probe+"/*") {
		t.Fatalf("no trace of ls's words: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "expanded-by-the-applier") {
		t.Fatalf("the applier expanded the shop's link target:\n%s", out)
	}
}

// A refusal before anything ran removes nothing of the shop: the owner-unclear refusal
// (composer.lock left root's by a `sudo composer update`) keeps composer.lock.
func TestOwnerUnclearRefusalKeepsTheShopsFiles(t *testing.T) {
	root, e, p := webOwnedRoot(t)
	lock := filepath.Join(root, "composer.lock")
	if err := os.Lchown(lock, 0, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "owner-unclear" {
		t.Fatalf("want the owner-unclear refusal, got %v", err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("the refused apply removed %s as the applier: %v", lock, err)
	}
}

// The apply removes only its own files: a file named slots in the applier's home (the
// SSH session's working directory) stays.
func TestApplyRemovesNothingInTheApplierHome(t *testing.T) {
	_, e, p, _ := slotRoot(t, 1)
	home := t.TempDir()
	mine := filepath.Join(home, "slots")
	if err := os.WriteFile(mine, []byte("the operator's notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := Change(context.Background(), &LocalRunner{Dir: home}, e, p); err != nil || res.Installed != "2.4.7" {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Fatalf("the apply removed %s: %v", mine, err)
	}
}

// A preserved file of the tool edited while the apply waited for the slot: the backup
// taken before the wait no longer holds it, so nothing runs and the edit is kept.
func TestToolFileEditedDuringTheHostSlotWaitIsKept(t *testing.T) {
	root, e, p, slots := slotRoot(t, 1)
	p.PreservePaths = []string{"etc/custom.xml"}
	custom := filepath.Join(root, dirDMT, "etc/custom.xml")
	if err := os.WriteFile(custom, []byte("before the wait\n"), 0o644); err != nil { //nolint:gosec // a shop's file
		t.Fatal(err)
	}
	w := waitingApply(t, root, e, p, slots)
	if err := os.WriteFile(custom, []byte("edited during the wait\n"), 0o644); err != nil { //nolint:gosec // a shop's file
		t.Fatal(err)
	}
	var ce *ChangeError
	if err := w.free(t).err; !errors.As(err, &ce) || ce.Step != "waited-changed" {
		t.Fatalf("want the apply stopped because the tool changed during the wait, got %v", err)
	}
	if got, _ := os.ReadFile(custom); string(got) != "edited during the wait\n" {
		t.Fatalf("the edit made during the wait was lost: %q", got)
	}
}

// With setup_backup, the check after the wait comes before setup:backup: a shop that
// changed meanwhile is not put into maintenance mode for a backup.
func TestSetupBackupDoesNotRunOnAShopChangedDuringTheWait(t *testing.T) {
	root, e, p, slots := slotRoot(t, 1)
	p.SetupBackup = []string{"code"}
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/backup-enabled.flag"), nil, 0o644); err != nil { //nolint:gosec // the stub's switch
		t.Fatal(err)
	}
	w := waitingApply(t, root, e, p, slots)
	f, err := os.OpenFile(filepath.Join(root, "composer.json"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("\n")
	_ = f.Close()
	var ce *ChangeError
	if err := w.free(t).err; !errors.As(err, &ce) || ce.Step != "waited-changed" {
		t.Fatalf("want the apply stopped because the shop changed during the wait, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "var/setup-backup.args")); err == nil {
		t.Fatal("setup:backup ran on a shop that changed during the wait")
	}
}

// A waiter's registration left by an apply killed outright, whose PID another process
// has taken since: that process is never signalled, and the registration goes.
func TestStaleSlotWaiterIsNotSignalled(t *testing.T) {
	_, e, p, slots := slotRoot(t, 1)
	log := filepath.Join(t.TempDir(), "urg.log")
	other := exec.Command("sh", "-c", `trap 'echo got SIGURG >> "$0"' URG; while :; do sleep 0.1; done`, log)
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	stale := filepath.Join(slots, fmt.Sprintf("wait.%d", other.Process.Pid))
	if err := os.WriteFile(stale, []byte(fmt.Sprintf("%d 12345\n", other.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatalf("%+v %v", res, err)
	}
	time.Sleep(500 * time.Millisecond) // a signal's trap runs within the other's next sleep
	if got, _ := os.ReadFile(log); len(got) > 0 {
		t.Fatalf("an unrelated process was signalled: %q", got)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Fatal("the stale registration stays")
	}
}

// An owed restore ran (the shop changed), then the slot cannot be judged (held from
// another machine): the error says the restore ran, not that nothing changed.
func TestSlotRefusalAfterAnOwedRestoreSaysItRestored(t *testing.T) {
	root, e, p, _ := owingRoot(t)
	before := composerRequirement(t, root)
	slots := hostSlotsDir(t, p)
	p.HostSlots = 1
	f := strings.Fields(holderHere(t, liveProcess(t)))
	f[5] = "0123456789abcdef0123456789abcdef" // another machine's id
	holdSlot(t, slots, 1, strings.Join(f, " "), "")
	_, err := Change(context.Background(), &streamingRunner{}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "slot-unknown" {
		t.Fatalf("want the slot refused, got %v", err)
	}
	if composerRequirement(t, root) == before {
		t.Fatal("the fixture's owed restore did not run")
	}
	if ce.Unchanged || !ce.Restored {
		t.Fatalf("the owed restore changed the shop, but the error says Unchanged=%v Restored=%v", ce.Unchanged, ce.Restored)
	}
}

// Killed outright (kill -9) while it waits for the slot after its backup: the next
// apply is not blocked by its lock, its registration or its archive.
func TestApplyKilledWhileWaitingForTheSlotBlocksNothing(t *testing.T) {
	root, e, p, slots := slotRoot(t, 1)
	w := waitingApply(t, root, e, p, slots)
	waiters, _ := filepath.Glob(filepath.Join(slots, "wait.*"))
	raw, err := os.ReadFile(waiters[0])
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscanf(string(raw), "%d", &pid); err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if r := <-w.done; r.err == nil {
		t.Fatal("the killed apply reported success")
	}
	if err := os.RemoveAll(w.held); err != nil {
		t.Fatal(err)
	}
	res, err := Change(context.Background(), &streamingRunner{}, e, p)
	if err != nil || res.Installed != "2.4.7" {
		t.Fatalf("the next apply did not upgrade: %+v %v", res, err)
	}
	if left, _ := filepath.Glob(filepath.Join(slots, "*")); len(left) != 0 {
		t.Fatalf("left in the slots directory: %v", left)
	}
	if _, err := os.Stat(filepath.Join(root, "var", lockName)); !os.IsNotExist(err) {
		t.Fatalf("the lock stays: %v", err)
	}
}

// A freed slot wakes one waiter, not every one: each woken waiter claims the slot (three
// processes for one winner), so waking all of them cost a herd of processes at every
// hand-over. The woken waiter's registration goes; the others stay registered for the
// next slot freed.
func TestAFreedSlotWakesOneWaiter(t *testing.T) {
	_, e, p, slots := slotRoot(t, 1)
	log := filepath.Join(t.TempDir(), "urg.log")
	var waiters []string
	for range 3 {
		cmd := exec.Command("sh", "-c", `trap 'echo "$$" >> "$0"' URG; while :; do sleep 0.1; done`, log)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		start := procStart(t, cmd.Process.Pid)
		waiter := filepath.Join(slots, fmt.Sprintf("wait.%012s.%d", start, cmd.Process.Pid))
		if err := os.WriteFile(waiter, []byte(fmt.Sprintf("%d %s\n", cmd.Process.Pid, start)), 0o600); err != nil {
			t.Fatal(err)
		}
		waiters = append(waiters, waiter)
	}
	if res, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatalf("%+v %v", res, err)
	}
	time.Sleep(500 * time.Millisecond) // a signal's trap runs within the waiter's next sleep
	got, _ := os.ReadFile(log)
	if woken := strings.Fields(string(got)); len(woken) != 1 {
		t.Fatalf("want one waiter woken, got %q", woken)
	}
	var left int
	for _, w := range waiters {
		if _, err := os.Stat(w); err == nil {
			left++
		}
	}
	if left != 2 {
		t.Fatalf("want the woken waiter's registration removed and the other two kept, %d of 3 left", left)
	}
}

// procStart is pid's start time in clock ticks since boot, field 22 of /proc/PID/stat.
func procStart(t *testing.T, pid int) string {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndex(s, ") ")+2:])
	if len(f) < 20 {
		t.Fatalf("/proc/%d/stat: %q", pid, raw)
	}
	return f[19]
}

// A waiting apply's registration is named by its start, zero-padded, then its PID, so
// that drop_slot's glob, which wakes the first live one, wakes the waiter that started
// first. Named by PID alone, the glob sorts 100123 before 99876, and an early waiter was
// passed over at every hand-over while later ones came.
func TestAWaitersRegistrationIsNamedByItsStart(t *testing.T) {
	w := startSlotWait(t)
	waiters, _ := filepath.Glob(filepath.Join(w.slots, "wait.*"))
	if len(waiters) != 1 {
		t.Fatalf("want one registration, found %v", waiters)
	}
	raw, err := os.ReadFile(waiters[0])
	if err != nil {
		t.Fatal(err)
	}
	var pid, start int
	if _, err := fmt.Sscanf(string(raw), "%d %d", &pid, &start); err != nil {
		t.Fatalf("registration %q: %v", raw, err)
	}
	if want := fmt.Sprintf("wait.%012d.%d", start, pid); filepath.Base(waiters[0]) != want {
		t.Fatalf("the registration is named %s, want %s (its start, padded, then its PID)", filepath.Base(waiters[0]), want)
	}
	if r := w.free(t); r.err != nil {
		t.Fatal(r.err)
	}
}
