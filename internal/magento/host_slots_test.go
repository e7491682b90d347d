package magento

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	slots := filepath.Join(p.StateBase, "slots")
	if err := os.MkdirAll(slots, 0o700); err != nil {
		t.Fatal(err)
	}
	return root, e, p, slots
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
	// Slot 2's apply shell is gone, its Composer still runs: the slot stays taken.
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
	want := fmt.Sprintf("PID %d on %s since 2026-11-25T10:00:00Z", pid, thisHost(t))
	if first.Held || len(first.Holders) != 2 || first.Holders[0] != want {
		t.Fatalf("want the wait to name both holders, the first %q: %+v", want, first)
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
