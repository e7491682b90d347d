// Package composerslots bounds the Composer runs at once per machine inside one
// provider process (per_host_parallelism); the apply script's slots on the host bound
// them across processes.
package composerslots

import (
	"context"
	"sync"
)

// Slots bounds the Composer runs at once per target (the provider keys on the machine
// and its route), across every resource and data source of one provider instance:
// Composer on a Magento root takes a core and 1-2 GB, and Terraform's -parallelism
// knows nothing of hosts. Waiters are served first come, first served; targets never
// wait for each other.
type Slots struct {
	limit   int
	mu      sync.Mutex
	targets map[string]*slotQueue
}

type slotQueue struct {
	running int
	waiting []chan struct{} // FIFO; closed when the slot is handed over
}

// New returns slots allowing limit runs at once per target (at least one).
func New(limit int) *Slots {
	return &Slots{limit: max(limit, 1), targets: map[string]*slotQueue{}}
}

// Acquire takes a slot of target, waiting behind earlier callers when all are taken;
// onWait, if not nil, is called once before waiting with the runs holding the slots.
// It returns release, to be called once the Composer run is over, or ctx's error when
// ctx ends first: then no slot is held.
func (s *Slots) Acquire(ctx context.Context, target string, onWait func(running int)) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	q := s.targets[target]
	if q == nil {
		q = &slotQueue{}
		s.targets[target] = q
	}
	if q.running < s.limit && len(q.waiting) == 0 {
		q.running++
		s.mu.Unlock()
		return s.releaser(target), nil
	}
	turn := make(chan struct{})
	q.waiting = append(q.waiting, turn)
	running := q.running
	s.mu.Unlock()
	if onWait != nil {
		onWait(running)
	}
	select {
	case <-turn:
		return s.releaser(target), nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, w := range q.waiting {
		if w == turn {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			return nil, ctx.Err()
		}
	}
	// The slot was handed over as ctx ended: pass it on.
	s.handOver(target, q)
	return nil, ctx.Err()
}

// releaser returns a release that frees the slot once, however often it is called.
func (s *Slots) releaser(target string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.handOver(target, s.targets[target])
		})
	}
}

// handOver gives a held slot to the first waiter, or frees it. s.mu is held.
func (s *Slots) handOver(target string, q *slotQueue) {
	if len(q.waiting) > 0 {
		close(q.waiting[0])
		q.waiting = q.waiting[1:]
		return
	}
	if q.running--; q.running == 0 {
		delete(s.targets, target)
	}
}

// State is the runs holding slots of target and the callers waiting (tests, logs).
func (s *Slots) State(target string) (running, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.targets[target]; q != nil {
		return q.running, len(q.waiting)
	}
	return 0, 0
}

// Limit is the runs allowed at once per target.
func (s *Slots) Limit() int { return s.limit }
