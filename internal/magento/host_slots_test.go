package magento

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// streamingRunner is LocalRunner that hands stdout's lines over as they come, as
// *remote.Host does.
type streamingRunner struct{ LocalRunner }

func (s *streamingRunner) RunLines(ctx context.Context, label, cmd string, stdin []byte, line func(string)) (shell.Result, error) {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.Stdin = strings.NewReader(string(stdin))
	pipe, err := c.StdoutPipe()
	if err != nil {
		return shell.Result{}, err
	}
	var out strings.Builder
	if err := c.Start(); err != nil {
		return shell.Result{}, err
	}
	sc := bufio.NewScanner(io.TeeReader(pipe, &out))
	for sc.Scan() {
		line(sc.Text())
	}
	err = c.Wait()
	return shell.Result{Stdout: []byte(out.String())}, err
}

// slotRoot is a lagging root whose apply takes one of limit slots of the host.
func slotRoot(t *testing.T, limit int) (string, Exec, ChangeParams, string) {
	t.Helper()
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	p.Target, p.HostSlots = "2.4.7", limit
	slots := hostSlotsDir(t, p)
	return root, e, p, slots
}

// hostSlotsDir makes the host's slot directory of p's state base, as an apply would.
func hostSlotsDir(t *testing.T, p ChangeParams) string {
	t.Helper()
	slots := filepath.Join(p.StateBase, "slots")
	if err := os.MkdirAll(slots, 0o700); err != nil {
		t.Fatal(err)
	}
	return slots
}

// holdSlot writes slot n of the host as held by holder, with job when it is not empty.
func holdSlot(t *testing.T, slots string, n int, holder, job string) string {
	t.Helper()
	dir := writeHeld(t, filepath.Join(slots, fmt.Sprint(n)), 0o700, holder)
	if job != "" {
		if err := os.WriteFile(filepath.Join(dir, "job"), []byte(job+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goneProcess is the PID of a process that has exited.
func goneProcess(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// The slot of an apply that is gone (killed with its Terraform run) is freed by the
// lock's liveness rule, and the apply runs; the slot it took is freed at its end.
func TestHostSlotOfAGoneApplyIsFreed(t *testing.T) {
	_, e, p, slots := slotRoot(t, 1)
	holdSlot(t, slots, 1, holderHere(t, goneProcess(t)), "")
	var news []SlotNews
	p.OnSlot = func(n SlotNews) { news = append(news, n) }
	res, err := Change(context.Background(), &streamingRunner{}, e, p)
	if err != nil || res.Installed != "2.4.7" {
		t.Fatalf("want the apply to take the gone apply's slot and upgrade: %+v %v", res, err)
	}
	if len(news) != 1 || !news[0].Held {
		t.Fatalf("want one word, that the slot is held, without waiting: %+v", news)
	}
	if left, _ := filepath.Glob(filepath.Join(slots, "*")); len(left) != 0 {
		t.Fatalf("the apply left slots taken: %v", left)
	}
}

// All slots held by live applies: the apply waits, saying who holds them, and changes
// nothing until one is freed; a free slot among held ones is taken at once.
func TestHostSlotsHeldByLiveAppliesAreWaitedFor(t *testing.T) {
	root, e, p, slots := slotRoot(t, 2)
	pid := liveProcess(t)
	holdSlot(t, slots, 1, holderHere(t, pid), "")
	// Slot 2's apply shell is gone, its Composer still runs: the slot stays taken, held by it.
	job := liveProcess(t)
	second := holdSlot(t, slots, 2, holderHere(t, goneProcess(t)), fmt.Sprintf("%d %s", job, startTime(t, job)))
	var mu sync.Mutex
	var news []SlotNews
	waiting := make(chan struct{})
	p.OnSlot = func(n SlotNews) {
		mu.Lock()
		defer mu.Unlock()
		if news = append(news, n); len(news) == 1 {
			close(waiting)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := Change(context.Background(), &streamingRunner{}, e, p)
		done <- err
	}()
	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("the apply did not wait for a slot: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("no word of the wait")
	}
	time.Sleep(1500 * time.Millisecond) // a poll or two: still waiting, nothing changed
	if got := composerRequirement(t, root); got != "2.4.6" {
		t.Fatalf("composer.json changed while the apply waited for a slot: %s", got)
	}
	mu.Lock()
	first := news[0]
	mu.Unlock()
	// The gone apply's slot is named by the Composer that keeps it.
	want := []string{fmt.Sprintf("PID %d on %s since 2026-11-25T10:00:00Z", pid, thisHost(t)), fmt.Sprintf("PID %d on %s since 2026-11-25T10:00:00Z", job, thisHost(t))}
	if first.Held || !slices.Equal(first.Holders, want) {
		t.Fatalf("want the wait to name the holders %q: %+v", want, first)
	}
	if err := os.RemoveAll(second); err != nil { // the job's apply finished it
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the apply failed after the slot was freed: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if last := news[len(news)-1]; !last.Held {
		t.Fatalf("want the slot held at last: %+v", news)
	}
	if got := composerRequirement(t, root); got != "2.4.7" {
		t.Fatalf("want the upgrade once a slot was free: %s", got)
	}
}

// Waiters that find the slot of a gone apply together free it once: the one that wins
// takes it, and the others never remove the slot it took afresh (each judges slowly
// here, so they all judge the old holder dead before any frees it).
func TestHostSlotOfAGoneApplyIsTakenByOneWaiterOnly(t *testing.T) {
	base := t.TempDir()
	slots := filepath.Join(base, "slots")
	if err := os.Mkdir(slots, 0o700); err != nil {
		t.Fatal(err)
	}
	holdSlot(t, slots, 1, holderHere(t, goneProcess(t)), "")
	slowJudge := strings.Replace(applyLockSH, "\ndead() {", "\nreal_dead() {", 1) + "\ndead() { real_dead \"$@\" && sleep 1; }\n"
	script := assign("base", base, "slots", "1", "run_as", "", "state_base", "", "tree_awk", processTreeAWK, "owner_lib", "") +
		"as_me=1; plock_owned=0\nexec 4>/dev/null\n" + applyOwnerSH + slowJudge + applySlotsSH + `
take_slot
from=$(date +%s%N)
sleep 2
[ "$(head -n 1 "$slot/owner")" = "$line" ] && mine=kept || mine=lost
echo "$from $(date +%s%N) $mine"
drop_slot
`
	type held struct{ from, to int64 }
	var holds []held
	outs := make([]string, 3)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			out, err := exec.Command("sh", "-c", script).CombinedOutput()
			outs[i] = string(out)
			if err != nil {
				outs[i] += err.Error()
			}
		})
	}
	wg.Wait()
	for _, out := range outs {
		var h held
		var mine string
		if _, err := fmt.Sscanf(out, "%d %d %s", &h.from, &h.to, &mine); err != nil || mine != "kept" {
			t.Fatalf("a waiter's slot was taken from it while it held it, or it failed: %q", out)
		}
		holds = append(holds, h)
	}
	for i, a := range holds {
		for _, b := range holds[i+1:] {
			if a.from < b.to && b.from < a.to {
				t.Fatalf("two waiters held the host's only slot at once: %v", holds)
			}
		}
	}
}

// A slot whose holder's PID means nothing here (recorded on another machine, or in a
// container since restarted) cannot be judged: the apply stops before it changes
// anything, naming the holder and the slot to remove, instead of waiting forever.
func TestHostSlotHeldWhereItCannotBeJudgedStopsTheApply(t *testing.T) {
	root, e, p, slots := slotRoot(t, 2)
	job := liveProcess(t)
	holdSlot(t, slots, 1, holderHere(t, goneProcess(t)), fmt.Sprintf("%d %s", job, startTime(t, job)))
	f := strings.Fields(holderHere(t, liveProcess(t)))
	f[5] = "0123456789abcdef0123456789abcdef" // another machine's id
	other := holdSlot(t, slots, 2, strings.Join(f, " "), "")
	_, err := Change(context.Background(), &streamingRunner{}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "slot-unknown" || !ce.Unchanged {
		t.Fatalf("want the apply stopped at the slot it cannot judge, nothing changed: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, f[0]+" "+f[1]) || !strings.Contains(msg, "rm -rf "+shell.Quote(other)) {
		t.Errorf("the error does not name the holder and the slot to remove:\n%s", msg)
	}
	if got := composerRequirement(t, root); got != "2.4.6" {
		t.Fatalf("composer.json changed: %s", got)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("the slot it could not judge was removed: %v", err)
	}
}

// A release listing takes one of the host's Composer slots, as an apply does: while
// another Terraform process's apply holds them all it waits, saying who holds them; then
// it lists, and frees its slot.
func TestReleaseListingWaitsForTheHostsComposerSlot(t *testing.T) {
	root, e, p, slots := slotRoot(t, 1)
	held := holdSlot(t, slots, 1, holderHere(t, liveProcess(t)), "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx := context.Background()
	src, err := ReleaseSourceOf(ctx, &LocalRunner{}, e, root)
	if err != nil {
		t.Fatal(err)
	}
	news := make(chan SlotNews, 16)
	done := make(chan error, 1)
	go func() {
		list, err := ListReleases(ctx, &streamingRunner{}, e, src, ListingSlots{N: 1, StateBase: p.StateBase, OnSlot: func(n SlotNews) { news <- n }})
		if err == nil && len(list) == 0 {
			err = fmt.Errorf("an empty list")
		}
		done <- err
	}()
	select {
	case n := <-news:
		if n.Held || len(n.Holders) != 1 {
			t.Fatalf("want the wait for the held slot first, got %+v", n)
		}
	case err := <-done:
		t.Fatalf("the listing did not wait for the host's slot: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("no word of the wait")
	}
	if err := os.RemoveAll(held); err != nil { // the other apply ends
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the listing failed once the slot was free: %v", err)
	}
	if n := <-news; !n.Held {
		t.Fatalf("want the slot held at last: %+v", n)
	}
	if _, err := os.Stat(filepath.Join(slots, "1")); !os.IsNotExist(err) {
		t.Fatalf("the listing's slot is still taken: %v", err)
	}
}

// A listing that meets a slot it cannot judge stops, saying that the listing needs the
// slot and how to free it, without the apply's words about restores.
func TestReleaseListingStopsAtASlotItCannotJudge(t *testing.T) {
	root, e, p, slots := slotRoot(t, 1)
	f := strings.Fields(holderHere(t, liveProcess(t)))
	f[5] = "0123456789abcdef0123456789abcdef" // another machine's id
	other := holdSlot(t, slots, 1, strings.Join(f, " "), "")
	src, err := ReleaseSourceOf(context.Background(), &LocalRunner{}, e, root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ListReleases(context.Background(), &streamingRunner{}, e, src, ListingSlots{N: 1, StateBase: p.StateBase})
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "slot-unknown" {
		t.Fatalf("want the listing stopped at the slot it cannot judge: %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "releases takes one of the host's Composer slots first") || !strings.Contains(msg, "rm -rf "+shell.Quote(other)) ||
		strings.Contains(msg, "Nothing was changed") {
		t.Errorf("the listing's error:\n%s", msg)
	}
}
