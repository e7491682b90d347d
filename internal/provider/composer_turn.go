package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// composerTurn is one operation's turn to run Composer on a machine, and its timeout,
// which runs only while the operation may run: the wait for a Composer slot on the host
// (the apply script's news) does not count. The wait ends only with the operation
// (Ctrl-C).
type composerTurn struct {
	d       *providerData
	conn    remote.Config
	what    string
	logged  context.Context // the operation's, with its log masks, without a deadline
	timeout time.Duration
	began   time.Time // the operation's start: time spent before the wait counts

	mu      sync.Mutex
	asked   time.Time
	left    time.Duration // the timeout left when the timer last started
	running time.Time     // when it last started
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	paused  bool // the host said every slot is held: the timer waits with it
	held    bool
	waited  bool
	seen    string
}

// composerTurn starts a turn for what (the Composer command, for logs and errors) on
// conn's machine; the operation began at began and may run for timeout.
func (d *providerData) composerTurn(logged context.Context, conn remote.Config, what string, timeout time.Duration, began time.Time) *composerTurn {
	return &composerTurn{d: d, conn: conn, what: what, logged: logged, timeout: timeout, began: began}
}

// hostSlots is per_host_parallelism, for the slots on the host (0: none, benchmarks).
func (d *providerData) hostSlots() int {
	if d.composerRuns == nil {
		return 0
	}
	return d.composerRuns.Limit()
}

// wait returns the context the apply script runs in: it ends with the operation, or
// once the timeout left has run out, not counting the time the host's slots were all
// held (news). done ends the turn. The script takes the host's slot itself, for
// setup:backup and Composer only (apply_slots.sh), so its checks and backup run beside
// other roots' Composers: a turn taken here, around the whole script, would serialise
// them. The error is always nil (Converge's BeforeComposer).
func (t *composerTurn) wait() (ctx context.Context, done func(), err error) {
	t.mu.Lock()
	t.asked, t.left = time.Now(), t.timeout-time.Since(t.began)
	t.mu.Unlock()
	ctx, cancel := context.WithCancelCause(t.logged)
	t.mu.Lock()
	t.cancel = cancel
	t.startTimer()
	t.mu.Unlock()
	return ctx, func() {
		t.mu.Lock()
		if t.timer != nil {
			t.timer.Stop()
		}
		t.mu.Unlock()
		cancel(nil)
	}, nil
}

// startTimer runs the timeout left. t.mu is held.
func (t *composerTurn) startTimer() {
	cancel := t.cancel
	t.running = time.Now()
	t.timer = time.AfterFunc(max(t.left, 0), func() { cancel(context.DeadlineExceeded) })
}

// news is the apply script's word on the host's slot. The timeout runs from the start
// of the script (a hang before the slot, at the locks or sudo, times out), but not while
// every slot of the host is held: then it logs who holds them, and the timeout waits
// until the slot is this operation's.
func (t *composerTurn) news(n magento.SlotNews) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cancel == nil || t.held {
		return
	}
	if !n.Held {
		if !t.paused && t.timer.Stop() {
			t.paused, t.left = true, t.left-time.Since(t.running)
		}
		if holders := strings.Join(n.Holders, ", "); holders != t.seen {
			t.seen, t.waited = holders, true
			tflog.Info(t.logged, fmt.Sprintf("waiting for a Composer slot on %s: per_host_parallelism = %d, held by %s", t.conn.Host, t.d.hostSlots(), holders),
				map[string]any{"per_host_parallelism": t.d.hostSlots(), "for": t.what})
		}
		return
	}
	t.held = true
	if t.paused {
		t.paused = false
		t.startTimer()
	}
	if t.waited {
		tflog.Info(t.logged, fmt.Sprintf("got a Composer slot on %s after %s", t.conn.Host, time.Since(t.asked).Round(time.Millisecond)),
			map[string]any{"for": t.what})
	}
}

// composerSlot waits for this process's turn to run Composer on c's machine
// (per_host_parallelism), logging the wait at INFO, and returns the release to call once
// the run is over. When ctx ends first it returns ctx's error, and nothing was started
// on the host.
func (d *providerData) composerSlot(ctx context.Context, c remote.Config, what string) (func(), error) {
	if d.composerRuns == nil {
		return func() {}, nil // not configured through Configure (benchmarks)
	}
	asked, waited := time.Now(), false
	release, err := d.composerRuns.Acquire(ctx, c.Machine(), func(running int) {
		waited = true
		tflog.Info(ctx, fmt.Sprintf("waiting for a Composer slot on %s (%d running in this Terraform run)", c.Host, running),
			map[string]any{"per_host_parallelism": d.composerRuns.Limit(), "for": what})
	})
	if err != nil {
		return nil, fmt.Errorf("%s did not start: it was waiting for a Composer slot on %s (per_host_parallelism = %d), and nothing ran on the host: %w",
			what, c.Host, d.composerRuns.Limit(), err)
	}
	if waited {
		tflog.Info(ctx, fmt.Sprintf("got a Composer slot on %s after %s", c.Host, time.Since(asked).Round(time.Millisecond)),
			map[string]any{"for": what})
	}
	return release, nil
}
