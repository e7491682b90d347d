package magento

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Batcher answers reads of several roots on one host with one remote command.
// Terraform refreshes resources concurrently (10 at a time by default); on a host
// whose login shell runs rc files, every SSH command costs a round trip plus those
// (100 ms is common). So for each host and user at most one read command is in flight;
// reads that arrive meanwhile, or within Window of each other, share the next one.
//
// Across a network each of those commands costs a round trip, and Terraform asks for
// ten roots at a time. So the first read for a key also starts a read of the roots
// given to ReadAhead (those the host served last time): Terraform asks for them next,
// and finds them answered. Reads Terraform did not ask for never hold up those it
// did: the read ahead is a command of its own (its own session, not the shared shell,
// where commands take turns) with a short budget (AheadBudget); when it fails or runs
// out of time (a remembered root on a stuck NFS mount), only its answers are dropped,
// and the reads that were waiting for them are read on their own. An answer read
// ahead is used once, within aheadTTL, and dropped by Forget when the root changes.
type Batcher[T any] struct {
	Window time.Duration // how long a batch waits for more reads before it goes
	// MaxRoots: a batch this big goes without waiting out Window, once nothing is in
	// flight. It is not a cap: reads that arrive meanwhile still join it (Terraform's
	// -parallelism, 10 by default, bounds how many can).
	MaxRoots int
	// AheadBudget bounds the read ahead: reads waiting for its answers wait no longer.
	AheadBudget time.Duration

	many func(ctx context.Context, r Runner, roots []string) ([]answer[T], error) // reads roots in one command

	mu     sync.Mutex
	queues map[string]*readQueue[T]
}

// ReadBatcher batches the reads of Magento roots (ReadMany).
type ReadBatcher = Batcher[Installation]

// answer is one root's outcome of a batch.
type answer[T any] struct {
	val T
	err error
}

// readQueue is one host and user: the command in flight, the batch that waits, the
// roots to read ahead, the read ahead in flight, and the answers read ahead.
type readQueue[T any] struct {
	inFlight *readBatch[T]
	next     *readBatch[T]
	ahead    []string
	aheadRun *readBatch[T] // the read ahead in flight
	answered map[string]aheadAnswer[T]
	asked    bool // a read came: the read ahead goes now or never
}

type aheadAnswer[T any] struct {
	result answer[T]
	at     time.Time
}

// aheadTTL bounds how old an answer read ahead may be: within one plan it is a few
// seconds old at most.
const aheadTTL = time.Minute

// MaxReadAhead bounds the roots read ahead on one host.
const MaxReadAhead = 200

type readBatch[T any] struct {
	ctx     context.Context
	runner  Runner // for a read ahead, the runner its waiters fall back to
	roots   []string
	waiters map[string][]chan answer[T] // by root; roots read ahead have none
	ready   bool                        // its window has passed
	timer   *time.Timer
	// A read ahead's: roots forgotten while it ran (their answers are stale), and
	// closed when it is over.
	forgotten map[string]bool
	over      chan struct{}
}

func (q *readQueue[T]) answer(root string) (answer[T], bool) {
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
// is in flight share the next anyway; the window only gathers the first burst. The
// read ahead's budget covers a session's start-up (a login shell's rc files) and
// reading hundreds of roots across a slow network.
func NewReadBatcher() *ReadBatcher {
	return newBatcher(func(ctx context.Context, r Runner, roots []string) ([]answer[Installation], error) {
		results, err := ReadMany(ctx, r, roots, nil)
		answers := make([]answer[Installation], len(results))
		for i, res := range results {
			answers[i] = answer[Installation]{res.Installation, res.Err}
		}
		return answers, err
	})
}

func newBatcher[T any](many func(ctx context.Context, r Runner, roots []string) ([]answer[T], error)) *Batcher[T] {
	return &Batcher[T]{Window: 2 * time.Millisecond, MaxRoots: 50, AheadBudget: 5 * time.Second, many: many}
}

// Read reads root through r, sharing the command with other reads for key (a host
// and run_as user).
func (b *Batcher[T]) Read(ctx context.Context, key string, r Runner, root string) (T, error) {
	done := make(chan answer[T], 1)
	b.mu.Lock()
	q := b.queue(key)
	if res, ok := q.answer(root); ok {
		b.mu.Unlock()
		return res.val, res.err
	}
	switch {
	case q.inFlight != nil && slices.Contains(q.inFlight.roots, root):
		// Asked for by the command in flight: wait for it rather than ask again.
		q.inFlight.waiters[root] = append(q.inFlight.waiters[root], done)
	case q.aheadRun != nil && slices.Contains(q.aheadRun.roots, root) && !q.aheadRun.forgotten[root]:
		// Being read ahead: its answer comes, or (past the budget) a read of its own.
		q.aheadRun.waiters[root] = append(q.aheadRun.waiters[root], done)
	default:
		b.enqueue(ctx, key, q, r, root, done)
		if !q.asked {
			q.asked = true
			b.launchAhead(ctx, key, q, r)
		}
	}
	b.mu.Unlock()
	return wait(ctx, done)
}

// enqueue adds root, answered on done, to the batch that waits; the caller holds mu.
func (b *Batcher[T]) enqueue(ctx context.Context, key string, q *readQueue[T], r Runner, root string, done chan answer[T]) {
	if q.next == nil {
		// The command outlives any one caller's cancellation: others wait on it too.
		q.next = &readBatch[T]{ctx: context.WithoutCancel(ctx), runner: r, waiters: map[string][]chan answer[T]{}}
		b.arm(key, q.next)
	}
	batch := q.next
	if !slices.Contains(batch.roots, root) {
		batch.roots = append(batch.roots, root)
	}
	batch.waiters[root] = append(batch.waiters[root], done)
	if len(batch.roots) >= b.MaxRoots {
		batch.ready = true
		b.launchIfIdle(key, q)
	}
}

func wait[T any](ctx context.Context, done chan answer[T]) (T, error) {
	select {
	case res := <-done:
		return res.val, res.err
	case <-ctx.Done():
		var none T
		return none, ctx.Err()
	}
}

// queue returns key's queue; the caller holds mu.
func (b *Batcher[T]) queue(key string) *readQueue[T] {
	if b.queues == nil {
		b.queues = map[string]*readQueue[T]{}
	}
	q := b.queues[key]
	if q == nil {
		q = &readQueue[T]{answered: map[string]aheadAnswer[T]{}}
		b.queues[key] = q
	}
	return q
}

// ReadAhead gives the roots (at most MaxReadAhead) to read ahead when the first read
// for key comes; once one came, it does nothing.
func (b *Batcher[T]) ReadAhead(key string, roots []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if q := b.queue(key); !q.asked {
		q.ahead = slices.Clone(roots[:min(len(roots), MaxReadAhead)])
	}
}

// launchAhead starts the read ahead of q's remembered roots that no read asked for yet,
// in a command of its own within AheadBudget; the caller holds mu.
func (b *Batcher[T]) launchAhead(ctx context.Context, key string, q *readQueue[T], r Runner) {
	roots := slices.DeleteFunc(q.ahead, func(root string) bool { return q.next != nil && slices.Contains(q.next.roots, root) })
	q.ahead = nil
	if len(roots) == 0 {
		return
	}
	batch := &readBatch[T]{ctx: context.WithoutCancel(ctx), runner: r, roots: roots, waiters: map[string][]chan answer[T]{},
		forgotten: map[string]bool{}, over: make(chan struct{})}
	q.aheadRun = batch
	go func() {
		defer close(batch.over)
		ctx, cancel := context.WithTimeout(batch.ctx, b.AheadBudget)
		defer cancel()
		results, err := b.many(ctx, ownSession{batch.runner}, batch.roots)
		b.mu.Lock()
		defer b.mu.Unlock()
		q.aheadRun = nil
		for i, root := range batch.roots {
			waiters := batch.waiters[root]
			delete(batch.waiters, root) // a root listed twice is answered once
			switch {
			case err != nil && len(waiters) > 0: // failed or out of time: they read on their own
				for _, w := range waiters {
					b.enqueue(batch.ctx, key, q, batch.runner, root, w)
				}
			case err != nil:
			case len(waiters) > 0:
				for _, w := range waiters {
					w <- results[i]
				}
			case results[i].err == nil && !batch.forgotten[root]: // an error is no answer: a read that asks reads again
				q.answered[root] = aheadAnswer[T]{results[i], time.Now()}
			}
		}
	}()
}

// ownSession hides a Runner's shared shell: a read ahead runs in a session of its own,
// so a hanging one never holds up the commands that take turns in the shared shell.
type ownSession struct{ Runner }

// Forget drops what was read ahead of root, on every key: it is about to change.
func (b *Batcher[T]) Forget(root string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, q := range b.queues {
		delete(q.answered, root)
		if q.aheadRun != nil {
			q.aheadRun.forgotten[root] = true
		}
	}
}

// arm (re)starts the batch's window; the caller holds mu.
func (b *Batcher[T]) arm(key string, batch *readBatch[T]) {
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
func (b *Batcher[T]) launchIfIdle(key string, q *readQueue[T]) {
	batch := q.next
	if q.inFlight != nil || batch == nil || !batch.ready {
		return
	}
	batch.timer.Stop()
	q.next, q.inFlight = nil, batch
	go func() {
		// Detached from its callers, so bounded on its own: a stuck filesystem on the host
		// must not hang every later read.
		ctx, cancel := context.WithTimeout(batch.ctx, readTimeout)
		defer cancel()
		results, err := b.many(ctx, batch.runner, batch.roots)
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, root := range batch.roots {
			res := answer[T]{err: err}
			if err == nil {
				res = results[i]
			}
			waiters := batch.waiters[root]
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
