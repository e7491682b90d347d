package magento

import (
	"context"
	"sync"
	"time"
)

// ReadBatcher answers reads of several roots on one host with one remote command.
// Terraform refreshes resources concurrently (10 at a time by default); on a host
// whose login shell runs rc files, every SSH command costs a round trip plus those
// (100 ms is common). So for each host and user at most one read command is in flight;
// reads that arrive meanwhile, or within Window of each other, share the next one.
type ReadBatcher struct {
	Window time.Duration // how long a batch waits for more reads before it goes
	// MaxRoots: a batch this big goes without waiting out Window, once nothing is in
	// flight. It is not a cap: reads that arrive meanwhile still join it (Terraform's
	// -parallelism, 10 by default, bounds how many can).
	MaxRoots int

	mu     sync.Mutex
	queues map[string]*readQueue
}

// readQueue is one host and user: the command in flight and the batch that waits.
type readQueue struct {
	inFlight bool
	next     *readBatch
}

type readBatch struct {
	ctx     context.Context
	runner  Runner
	roots   []string
	waiters []chan RootResult
	ready   bool // its window has passed
	timer   *time.Timer
}

// readTimeout bounds one batched read command (a read normally takes milliseconds).
const readTimeout = 2 * time.Minute

// NewReadBatcher returns a batcher with the defaults. The window is short: a read
// command costs a few milliseconds in the shared shell, and reads that arrive while one
// is in flight share the next anyway; the window only gathers the first burst.
func NewReadBatcher() *ReadBatcher {
	return &ReadBatcher{Window: 2 * time.Millisecond, MaxRoots: 50}
}

// Read reads root through r, sharing the command with other reads for key (a host
// and run_as user).
func (b *ReadBatcher) Read(ctx context.Context, key string, r Runner, root string) (Installation, error) {
	done := make(chan RootResult, 1)
	b.mu.Lock()
	if b.queues == nil {
		b.queues = map[string]*readQueue{}
	}
	q := b.queues[key]
	if q == nil {
		q = &readQueue{}
		b.queues[key] = q
	}
	if q.next == nil {
		// The command outlives any one caller's cancellation: others wait on it too.
		q.next = &readBatch{ctx: context.WithoutCancel(ctx), runner: r}
		b.arm(key, q.next)
	}
	batch := q.next
	batch.roots = append(batch.roots, root)
	batch.waiters = append(batch.waiters, done)
	if len(batch.roots) >= b.MaxRoots {
		batch.ready = true
		b.launchIfIdle(key, q)
	}
	b.mu.Unlock()

	select {
	case res := <-done:
		return res.Installation, res.Err
	case <-ctx.Done():
		return Installation{}, ctx.Err()
	}
}

// arm (re)starts the batch's window; the caller holds mu.
func (b *ReadBatcher) arm(key string, batch *readBatch) {
	if batch.timer != nil {
		batch.timer.Stop()
	}
	batch.ready = false
	batch.timer = time.AfterFunc(b.Window, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		batch.ready = true
		if q := b.queues[key]; q != nil && q.next == batch {
			b.launchIfIdle(key, q)
		}
	})
}

// launchIfIdle sends the waiting batch when it is ready and nothing is in flight; the
// caller holds mu.
func (b *ReadBatcher) launchIfIdle(key string, q *readQueue) {
	batch := q.next
	if q.inFlight || batch == nil || !batch.ready {
		return
	}
	batch.timer.Stop()
	q.next, q.inFlight = nil, true
	go func() {
		// Detached from its callers, so bounded on its own: a stuck filesystem on the host
		// must not hang every later read.
		ctx, cancel := context.WithTimeout(batch.ctx, readTimeout)
		defer cancel()
		results, err := ReadMany(ctx, batch.runner, batch.roots, nil)
		for i, w := range batch.waiters {
			if err != nil {
				w <- RootResult{Err: err}
			} else {
				w <- results[i]
			}
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		q.inFlight = false
		if q.next != nil {
			// The callers just answered issue their next reads now: give them a window.
			b.arm(key, q.next)
		}
	}()
}
