package magento

import (
	"context"
	"path/filepath"
	"sync"
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

// The first read of a host also reads the roots it served last time; Terraform's next
// reads of them are answered without a command, once; Forget drops an answer.
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
	if runner.calls != 1 {
		t.Fatalf("three reads after a read ahead used %d commands, want 1", runner.calls)
	}
	read(roots[1], "2.4.7") // an answer read ahead serves one read only
	if runner.calls != 2 {
		t.Fatalf("a second read of a root was answered from the read ahead (%d commands)", runner.calls)
	}

	b = NewReadBatcher()
	b.ReadAhead("host", roots[1:2])
	read(roots[0], "2.4.6")
	b.Forget(roots[1]) // an apply is about to change it
	read(roots[1], "2.4.7")
	if runner.calls != 4 {
		t.Fatalf("a forgotten root was answered from the read ahead (%d commands in all)", runner.calls)
	}
}

// A read that gets in before the read ahead is armed still shares its command.
func TestReadAheadJoinsAPendingBatch(t *testing.T) {
	r := sharedRepo(t)
	a := r.NewRoot(t, filepath.Join(t.TempDir(), "a"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	b2 := r.NewRoot(t, filepath.Join(t.TempDir(), "b"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	runner := &countingRunner{}
	b := NewReadBatcher()
	b.Window = time.Hour // the batch waits until it is full
	b.MaxRoots = 2
	done := make(chan error, 1)
	go func() { _, err := b.Read(context.Background(), "host", runner, a); done <- err }()
	for { // the first read's batch is pending
		b.mu.Lock()
		q := b.queues["host"]
		pending := q != nil && q.next != nil
		b.mu.Unlock()
		if pending {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ReadAhead("host", []string{b2}) // fills the batch: it goes
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if inst, err := b.Read(context.Background(), "host", runner, b2); err != nil || inst.DMTVersion != "2.4.6" || runner.calls != 1 {
		t.Fatalf("got %+v, %v after %d commands, want 2.4.6 from the one command", inst, err, runner.calls)
	}
}
