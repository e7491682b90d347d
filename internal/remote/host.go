package remote

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"golang.org/x/crypto/ssh"
)

// DefaultMaxConnections bounds the connections a Host opens when every session slot
// of its connections is busy.
const DefaultMaxConnections = 4

// Host runs commands on one (host, port, user, credentials, bastion chain). It shares
// one connection among all callers and queues them for its session slots; only when the
// server refuses sessions below the assumed limit (a MaxSessions lower than OpenSSH's
// default 10) does it open more connections. Connections that died are replaced.
type Host struct {
	cfg   Config
	stats *Stats

	mu       sync.Mutex
	conns    []*hostConn
	dialing  int
	failures int   // dial failures so far; waiters compare generations
	dialErr  error // the latest dial failure
	changed  chan struct{}
}

type hostConn struct {
	client *Client
	inUse  int
	limit  int
	shell  *sharedShell // started on first RunShared; holds one session slot
}

// Stats counts what the transport did, for benchmarks and tests. A nil *Stats (the
// provider's default) counts nothing.
type Stats struct {
	Connections atomic.Int64 // successful dials
	Sessions    atomic.Int64 // SSH sessions opened (a command each, or a shared shell)
	Commands    atomic.Int64 // remote commands run, in sessions or shared shells
	SentBytes   atomic.Int64 // command lines and stdin
	StdoutBytes atomic.Int64
	StderrBytes atomic.Int64
}

// StatsSnapshot is Stats as plain numbers (for JSON).
type StatsSnapshot struct {
	Connections, Sessions, Commands, SentBytes, StdoutBytes, StderrBytes int64
}

// Snapshot reads the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{s.Connections.Load(), s.Sessions.Load(), s.Commands.Load(), s.SentBytes.Load(), s.StdoutBytes.Load(), s.StderrBytes.Load()}
}

func (s *Stats) dialled() {
	if s != nil {
		s.Connections.Add(1)
	}
}

func (s *Stats) sessionOpened() {
	if s != nil {
		s.Sessions.Add(1)
	}
}

// ran counts one remote command and its bytes.
func (s *Stats) ran(sent, stdout, stderr int) {
	if s != nil {
		s.Commands.Add(1)
		s.SentBytes.Add(int64(sent))
		s.StdoutBytes.Add(int64(stdout))
		s.StderrBytes.Add(int64(stderr))
	}
}

func newHost(c Config, stats *Stats) *Host {
	return &Host{cfg: c, stats: stats, changed: make(chan struct{})}
}

// broadcast wakes every waiter; the caller holds mu.
func (h *Host) broadcast() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Connect makes sure one live connection exists, so connection errors (host key, auth)
// surface when the host is first used.
func (h *Host) Connect(ctx context.Context) error {
	cn, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	h.release(cn)
	return nil
}

// acquire takes a session slot, dialling a connection when none is free and the limit
// allows.
func (h *Host) acquire(ctx context.Context) (*hostConn, error) {
	h.mu.Lock()
	gen := h.failures
	for {
		live := h.conns[:0]
		for _, cn := range h.conns {
			if cn.client.Alive() {
				live = append(live, cn)
			}
		}
		h.conns = live
		for _, cn := range h.conns {
			if cn.inUse < cn.limit {
				cn.inUse++
				h.mu.Unlock()
				return cn, nil
			}
		}
		if len(h.conns) == 0 && h.failures > gen {
			err := h.dialErr // a dial we waited for failed: share its error, do not redial
			h.mu.Unlock()
			return nil, err
		}
		if len(h.conns)+h.dialing < DefaultMaxConnections && (len(h.conns) == 0 && h.dialing == 0 || h.limitLearnt()) {
			h.dialing++
			h.mu.Unlock()
			client, err := Dial(ctx, h.cfg)
			h.mu.Lock()
			h.dialing--
			if err != nil {
				// A dial cut short by its own caller (Ctrl-C, that caller's timeout) says
				// nothing about the host: the callers waiting for it dial again.
				if ctx.Err() == nil {
					h.failures++
					h.dialErr = err
				}
				h.broadcast()
				h.mu.Unlock()
				return nil, err
			}
			h.stats.dialled()
			cn := &hostConn{client: client, inUse: 1, limit: DefaultMaxSessions}
			h.conns = append(h.conns, cn)
			h.broadcast()
			h.mu.Unlock()
			return cn, nil
		}
		wait := h.changed
		h.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		h.mu.Lock()
	}
}

// limitLearnt reports whether the server refused sessions below our assumed limit:
// only then is a further connection worth it; otherwise callers queue for a slot.
// The caller holds mu.
func (h *Host) limitLearnt() bool {
	for _, cn := range h.conns {
		if cn.limit < DefaultMaxSessions {
			return true
		}
	}
	return false
}

func (h *Host) release(cn *hostConn) {
	h.mu.Lock()
	cn.inUse--
	h.broadcast()
	h.mu.Unlock()
}

// refused lowers a connection's limit after the server refused a session: it has
// fewer sessions than we assumed (DefaultMaxSessions). The next acquire may open a new
// connection.
func (h *Host) refused(cn *hostConn) {
	h.mu.Lock()
	cn.limit = max(1, cn.inUse-1)
	cn.inUse--
	h.broadcast()
	h.mu.Unlock()
}

// Run runs cmd on the host; see Client.Run.
func (h *Host) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	return h.RunLines(ctx, label, cmd, stdin, nil)
}

// RunLines is Run that also hands each line of stdout to line as it arrives (nil: none).
func (h *Host) RunLines(ctx context.Context, label, cmd string, stdin []byte, line func(string)) (shell.Result, error) {
	for attempt := 0; ; attempt++ {
		cn, err := h.acquire(ctx)
		if err != nil {
			return shell.Result{}, err
		}
		session, err := cn.client.newSession()
		if isRefusal(err) && attempt < 2*DefaultMaxConnections {
			// A session we closed a moment ago may still count on the server: one short
			// retry on the same connection before concluding the limit is lower.
			time.Sleep(20 * time.Millisecond)
			if session, err = cn.client.newSession(); isRefusal(err) {
				h.refused(cn)
				continue
			}
		}
		if err != nil {
			h.release(cn)
			return shell.Result{}, err
		}
		h.stats.sessionOpened()
		res, err := cn.client.run(ctx, session, label, cmd, stdin, line)
		h.stats.ran(len(cmd)+len(watchdog)+len(stdin), len(res.Stdout), len(res.Stderr))
		h.release(cn)
		return res, err
	}
}

func isRefusal(err error) bool {
	var open *ssh.OpenChannelError
	return errors.As(err, &open) && (open.Reason == ssh.ConnectionFailed || open.Reason == ssh.Prohibited)
}

// Close ends every connection of the host.
func (h *Host) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, cn := range h.conns {
		_ = cn.client.Close()
	}
	h.conns = nil
}

// Connections is how many live connections the host holds.
func (h *Host) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, cn := range h.conns {
		if cn.client.Alive() {
			n++
		}
	}
	return n
}
