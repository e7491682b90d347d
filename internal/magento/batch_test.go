package magento

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// countingRunner counts commands; it is safe for concurrent use.
type countingRunner struct {
	mu    sync.Mutex
	calls int
}

func (c *countingRunner) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return (&LocalRunner{}).Run(ctx, label, cmd, stdin)
}

func TestReadBatcherSharesOneCommand(t *testing.T) {
	r := sharedRepo(t)
	var roots []string
	for i, dmt := range []string{"2.4.6", "2.4.7", ""} {
		roots = append(roots, r.NewRoot(t, filepath.Join(t.TempDir(), string(rune('a'+i))), testenv.RootSpec{Magento: "2.4.7-p3", DMT: dmt}))
	}
	roots = append(roots, "/nonexistent/root")
	runner := &countingRunner{}
	b := NewReadBatcher()
	// The batch goes when it holds every root, not when a window ends: no timing.
	b.Window, b.MaxRoots = time.Hour, len(roots)
	results := make([]RootResult, len(roots))
	var wg sync.WaitGroup
	for i, root := range roots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, err := b.Read(context.Background(), "host-a", runner, root)
			results[i] = RootResult{inst, err}
		}()
	}
	wg.Wait()
	if runner.calls != 1 {
		t.Fatalf("%d concurrent reads used %d commands, want 1", len(roots), runner.calls)
	}
	if results[0].Installation.DMTVersion != "2.4.6" || results[1].Installation.DMTVersion != "2.4.7" ||
		results[2].Err != nil || results[2].Installation.DMTVersion != "" || !IsNotMagento(results[3].Err) {
		t.Fatalf("each caller must get its own root's result: %+v", results)
	}
	// Different keys (hosts) never share a command.
	b.Window = time.Millisecond
	if _, err := b.Read(context.Background(), "host-b", runner, roots[0]); err != nil || runner.calls != 2 {
		t.Fatalf("a read for another host: %v after %d commands", err, runner.calls)
	}
}

// The first read of a host also starts a read of the roots it served last time, in a
// command of its own; Terraform's next reads of them are answered without a command,
// once; Forget drops an answer, also one still being read.
func TestReadAheadAnswersTheNextReads(t *testing.T) {
	r := sharedRepo(t)
	var roots []string
	for i, dmt := range []string{"2.4.6", "2.4.7", ""} {
		roots = append(roots, r.NewRoot(t, filepath.Join(t.TempDir(), string(rune('a'+i))), testenv.RootSpec{Magento: "2.4.7-p3", DMT: dmt}))
	}
	runner := &countingRunner{}
	b := NewReadBatcher()
	b.ReadAhead("host", append(roots[1:], "/gone/shop"))
	read := func(root, want string) {
		t.Helper()
		inst, err := b.Read(context.Background(), "host", runner, root)
		if err != nil || inst.DMTVersion != want {
			t.Fatalf("%s: got %+v, %v, want tool %q", root, inst, err, want)
		}
	}
	read(roots[0], "2.4.6")
	read(roots[1], "2.4.7")
	read(roots[2], "")
	aheadOver(b, "host")
	if runner.calls != 2 {
		t.Fatalf("three reads after a read ahead used %d commands, want 2 (the first read's and the read ahead)", runner.calls)
	}
	read(roots[1], "2.4.7") // an answer read ahead serves one read only
	if runner.calls != 3 {
		t.Fatalf("a second read of a root was answered from the read ahead (%d commands)", runner.calls)
	}

	b = NewReadBatcher()
	b.ReadAhead("host", roots[1:2])
	read(roots[0], "2.4.6")
	b.Forget(roots[1]) // an apply is about to change it
	aheadOver(b, "host")
	read(roots[1], "2.4.7")
	if runner.calls != 6 {
		t.Fatalf("a forgotten root was answered from the read ahead (%d commands in all)", runner.calls)
	}
}

// aheadOver waits until key's read ahead, if any, is over.
func aheadOver(b *ReadBatcher, key string) {
	b.mu.Lock()
	var over chan struct{}
	if q := b.queues[key]; q != nil && q.aheadRun != nil {
		over = q.aheadRun.over
	}
	b.mu.Unlock()
	if over != nil {
		<-over
	}
}

// sharedCounting tells commands in the shared shell from those in sessions of their own.
type sharedCounting struct {
	countingRunner
	shared int
}

func (s *sharedCounting) RunShared(ctx context.Context, label, cmd string) (shell.Result, error) {
	s.mu.Lock()
	s.shared++
	s.mu.Unlock()
	return (&LocalRunner{}).Run(ctx, label, cmd, nil)
}

// The read ahead leaves the root asked for to the read's own batch (in the shared
// shell) and reads the others in a session of its own, where a hanging one holds up
// nothing; a read of a root being read ahead waits for that answer.
func TestReadAheadIsACommandOfItsOwn(t *testing.T) {
	r := sharedRepo(t)
	a := r.NewRoot(t, filepath.Join(t.TempDir(), "a"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	b2 := r.NewRoot(t, filepath.Join(t.TempDir(), "b"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	runner := &sharedCounting{}
	b := NewReadBatcher()
	b.ReadAhead("host", []string{a, b2})
	if _, err := b.Read(context.Background(), "host", runner, a); err != nil {
		t.Fatal(err)
	}
	if inst, err := b.Read(context.Background(), "host", runner, b2); err != nil || inst.DMTVersion != "2.4.6" {
		t.Fatalf("got %+v, %v, want 2.4.6", inst, err)
	}
	aheadOver(b, "host")
	if runner.shared != 1 || runner.calls != 1 {
		t.Fatalf("%d commands in the shared shell and %d in sessions of their own, want 1 and 1 (the read ahead)", runner.shared, runner.calls)
	}
}

// A remembered root that hangs (its composer.lock a FIFO: a stuck NFS mount) neither
// delays nor fails the reads Terraform asks for: the first is answered while the read
// ahead hangs, and one the read ahead was to answer is read on its own once the read
// ahead's budget is spent.
func TestReadAheadNeverHoldsAskedReadsHostage(t *testing.T) {
	r := sharedRepo(t)
	asked := r.NewRoot(t, filepath.Join(t.TempDir(), "asked"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	later := r.NewRoot(t, filepath.Join(t.TempDir(), "later"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	gone := r.NewRoot(t, filepath.Join(t.TempDir(), "gone"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	lock := filepath.Join(gone, "composer.lock")
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(lock, 0o644); err != nil {
		t.Fatal(err)
	}
	b := NewReadBatcher()
	b.AheadBudget = 200 * time.Millisecond
	b.ReadAhead("host", []string{gone, later, asked})
	// Well below the read's own timeout (2 minutes): a read held by the hanging root fails.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runner := &countingRunner{}
	for root, want := range map[string]string{asked: "2.4.7", later: "2.4.6"} {
		if inst, err := b.Read(ctx, "host", runner, root); err != nil || inst.DMTVersion != want {
			t.Fatalf("%s: got %+v, %v; want tool %s", root, inst, err, want)
		}
	}
}
