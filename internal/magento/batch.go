package magento

import (
	"context"
	"slices"
	"sync"
	"time"
)

// ReadBatcher answers reads of several roots on one host with one remote command.
// Terraform refreshes resources concurrently (10 at a time by default); on a host
// whose login shell runs rc files, every SSH command costs a round trip plus those
// (100 ms is common). So for each host and user at most one read command is in flight;
// reads that arrive meanwhile, or within Window of each other, share the next one.
//
// Across a network each of those commands costs a round trip, and Terraform asks for
// ten roots at a time. So the first command for a key may also read roots given to
// ReadAhead (those the host served last time): Terraform asks for them next, and
// finds them answered. An answer read ahead is used once, within aheadTTL, and
// dropped by Forget when the root changes.
type ReadBatcher struct {
	Window time.Duration // how long a batch waits for more reads before it goes
	// MaxRoots: a batch this big goes without waiting out Window, once nothing is in
	// flight. It is not a cap: reads that arrive meanwhile still join it (Terraform's
	// -parallelism, 10 by default, bounds how many can).
	MaxRoots int

	mu     sync.Mutex
	queues map[string]*readQueue
}

// readQueue is one host and user: the command in flight, the batch that waits, the
// roots to read ahead with the first batch, and the answers read ahead.
type readQueue struct {
	inFlight *readBatch
	next     *readBatch
	ahead    []string
	answered map[string]aheadAnswer
	started  bool // a command went: too late to read ahead
}

type aheadAnswer struct {
	result RootResult
	at     time.Time
}

// aheadTTL bounds how old an answer read ahead may be: within one plan it is a few
// seconds old at most.
const aheadTTL = time.Minute

// MaxReadAhead bounds the roots read ahead on one host.
const MaxReadAhead = 200

type readBatch struct {
	ctx     context.Context
	runner  Runner
	roots   []string
	waiters map[string][]chan RootResult // by root; roots read ahead have none
	ready   bool                         // its window has passed
	timer   *time.Timer
}

func (q *readQueue) answer(root string) (RootResult, bool) {
	a, ok := q.answered[root]
	if ok {
		delete(q.answered, root) // once: a later read asks the host again
	}
	return a.result, ok && time.Since(a.at) < aheadTTL
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
	q := b.queue(key)
	if res, ok := q.answer(root); ok {
		b.mu.Unlock()
		return res.Installation, res.Err
	}
	if batch := q.inFlight; batch != nil && slices.Contains(batch.roots, root) {
		// Read ahead by the command in flight: wait for it rather than ask again.
		batch.waiters[root] = append(batch.waiters[root], done)
		b.mu.Unlock()
		return wait(ctx, done)
	}
	if q.next == nil {
		// The command outlives any one caller's cancellation: others wait on it too.
		q.next = &readBatch{ctx: context.WithoutCancel(ctx), runner: r, waiters: map[string][]chan RootResult{}}
		q.next.roots, q.ahead = append(q.next.roots, q.ahead...), nil
		b.arm(key, q.next)
	}
	batch := q.next
	if _, listed := batch.waiters[root]; !listed && !slices.Contains(batch.roots, root) {
		batch.roots = append(batch.roots, root)
	}
	batch.waiters[root] = append(batch.waiters[root], done)
	if len(batch.roots) >= b.MaxRoots {
		batch.ready = true
		b.launchIfIdle(key, q)
	}
	b.mu.Unlock()
	return wait(ctx, done)
}

func wait(ctx context.Context, done chan RootResult) (Installation, error) {
	select {
	case res := <-done:
		return res.Installation, res.Err
	case <-ctx.Done():
		return Installation{}, ctx.Err()
	}
}

// queue returns key's queue; the caller holds mu.
func (b *ReadBatcher) queue(key string) *readQueue {
	if b.queues == nil {
		b.queues = map[string]*readQueue{}
	}
	q := b.queues[key]
	if q == nil {
		q = &readQueue{answered: map[string]aheadAnswer{}}
		b.queues[key] = q
	}
	return q
}

// ReadAhead makes the first command for key also read roots (at most MaxReadAhead);
// once a command for key has gone, it does nothing.
func (b *ReadBatcher) ReadAhead(key string, roots []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queue(key)
	roots = roots[:min(len(roots), MaxReadAhead)]
	switch {
	case q.started:
	case q.next != nil: // a read got here first: its command is still waiting
		for _, root := range roots {
			if !slices.Contains(q.next.roots, root) {
				q.next.roots = append(q.next.roots, root)
			}
		}
		if len(q.next.roots) >= b.MaxRoots {
			q.next.ready = true
			b.launchIfIdle(key, q)
		}
	default:
		q.ahead = slices.Clone(roots)
	}
}

// Forget drops what was read ahead of root, on every key: it is about to change.
func (b *ReadBatcher) Forget(root string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, q := range b.queues {
		delete(q.answered, root)
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
	if q.inFlight != nil || batch == nil || !batch.ready {
		return
	}
	batch.timer.Stop()
	q.next, q.inFlight, q.started = nil, batch, true
	go func() {
		// Detached from its callers, so bounded on its own: a stuck filesystem on the host
		// must not hang every later read.
		ctx, cancel := context.WithTimeout(batch.ctx, readTimeout)
		defer cancel()
		results, err := ReadMany(ctx, batch.runner, batch.roots, nil)
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, root := range batch.roots {
			res := RootResult{Err: err}
			if err == nil {
				res = results[i]
			}
			waiters := batch.waiters[root]
			if len(waiters) == 0 && err == nil {
				q.answered[root] = aheadAnswer{res, time.Now()}
			}
			for _, w := range waiters {
				w <- res
			}
			delete(batch.waiters, root) // a root listed twice is answered once
		}
		q.inFlight = nil
		if q.next != nil {
			// The callers just answered issue their next reads now: give them a window.
			b.arm(key, q.next)
		}
	}()
}
