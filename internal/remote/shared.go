package remote

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"golang.org/x/crypto/ssh"
)

// sharedLoop is a long-lived shell on the host that runs short commands one after
// another, each framed by a length header on stdin and an end marker (with its exit
// status) on stdout. Commands run there skip the per-session cost: sshd starting the
// login shell and its rc files, about 100 ms on many hosts. Only short, read-only
// commands (reads) use it; a command's stdin is closed and its stderr joins stdout.
// It first prints its process group (from /proc; empty elsewhere): a cancelled
// command cannot be told apart from the loop, so a cancel stops the whole group from a
// session of its own (a read blocked on a hung NFS file or a FIFO would stay forever).
const sharedLoop = `m=$1
g=$(cat /proc/$$/stat 2>/dev/null); g=${g##*) }; set -- $g; printf '%s %s\n' "$m-pgid" "$3"
while IFS= read -r n; do
  c=$(head -c "$n"; echo x); c=${c%x}
  ( eval "$c" ) </dev/null 2>&1
  printf '\n%s %s\n' "$m" "$?"
done`

// sharedShell is one sharedLoop session; commands take turns.
type sharedShell struct {
	mu      sync.Mutex
	session *ssh.Session
	in      io.WriteCloser
	out     *bufio.Reader
	marker  string
	broken  atomic.Bool // set by close under mu, read by Host.sharedShellOf under the host's lock
	client  *Client
	pgid    atomic.Int64 // the loop's process group on the host; 0 = not known (yet)
}

func startSharedShell(c *Client) (*sharedShell, error) {
	session, err := c.newSession()
	if err != nil {
		return nil, err
	}
	in, err := session.StdinPipe()
	if err != nil {
		_ = session.Close()
		return nil, err
	}
	out, err := session.StdoutPipe()
	if err != nil {
		_ = session.Close()
		return nil, err
	}
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	s := &sharedShell{session: session, in: in, out: bufio.NewReader(out), marker: "@@end-" + hex.EncodeToString(nonce), client: c}
	if err := session.Start("sh -c " + shell.Quote(sharedLoop) + " sh " + shell.Quote(s.marker)); err != nil {
		_ = session.Close()
		return nil, err
	}
	return s, nil
}

// run sends cmd and reads its output up to the marker. A cancelled context or any
// protocol error breaks the shell: it is closed, and the caller falls back or retries.
func (s *sharedShell) run(ctx context.Context, label, cmd string) (shell.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken.Load() {
		return shell.Result{}, errSharedShellBroken
	}
	if _, err := io.WriteString(s.in, strconv.Itoa(len(cmd))+"\n"+cmd); err != nil {
		s.close()
		return shell.Result{}, errors.Join(errSharedShellBroken, err)
	}
	type outcome struct {
		res shell.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() { // owns s.out until the marker; after a cancel nobody reads it again
		res, err := s.readUntilMarker(label)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		if errors.Is(o.err, errSharedShellBroken) {
			s.close()
		}
		return o.res, o.err
	case <-ctx.Done():
		s.close()
		if pgid := s.pgid.Load(); pgid > 1 {
			go s.client.stopGroup(pgid)
		}
		return shell.Result{}, ctx.Err()
	}
}

// stopGroup ends what a cancelled shared-shell command left running on the host,
// from a session of its own.
func (c *Client) stopGroup(pgid int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g := strconv.FormatInt(pgid, 10)
	_, _ = c.Run(ctx, "stop a cancelled read", "kill -TERM -"+g+" 2>/dev/null; sleep 1; kill -KILL -"+g+" 2>/dev/null; exit 0", nil)
}

func (s *sharedShell) readUntilMarker(label string) (shell.Result, error) {
	var stdout strings.Builder
	for {
		line, err := s.out.ReadString('\n')
		if err != nil {
			return shell.Result{}, errors.Join(errSharedShellBroken, err)
		}
		if g, ok := strings.CutPrefix(line, s.marker+"-pgid "); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(g), 10, 64); err == nil {
				s.pgid.Store(n)
			}
			continue
		}
		if status, ok := strings.CutPrefix(line, s.marker+" "); ok {
			res := shell.Result{Stdout: []byte(strings.TrimSuffix(stdout.String(), "\n"))} // printf's newline before the marker
			if code, _ := strconv.Atoi(strings.TrimSpace(status)); code != 0 {
				return res, &shell.ExitError{Command: label, ExitStatus: code, Stdout: res.Stdout}
			}
			return res, nil
		}
		stdout.WriteString(line)
	}
}

func (s *sharedShell) close() {
	if s.broken.Swap(true) {
		return
	}
	_ = s.in.Close()
	_ = s.session.Close()
}

var errSharedShellBroken = errors.New("shared shell session ended")

// RunShared runs a short read-only command in the connection's shared shell, paying
// the session start-up (login shell, rc files) once per connection instead of per
// command. If the shared shell cannot be used, it falls back to Run.
func (h *Host) RunShared(ctx context.Context, label, cmd string) (shell.Result, error) {
	cn, err := h.acquire(ctx)
	if err != nil {
		return shell.Result{}, err
	}
	sh, err := h.sharedShellOf(cn)
	if err == nil {
		started := time.Now()
		var res shell.Result
		res, err = sh.run(ctx, label, cmd)
		if !errors.Is(err, errSharedShellBroken) {
			h.release(cn)
			h.stats.ran(len(cmd), len(res.Stdout), 0)
			logCommand(ctx, label, cn.client.address, started, res, err)
			return res, err
		}
	}
	h.release(cn)
	return h.Run(ctx, label, cmd, nil)
}

// sharedShellOf returns the connection's shared shell, starting it on first use.
// It holds one of the connection's session slots for as long as it lives.
func (h *Host) sharedShellOf(cn *hostConn) (*sharedShell, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cn.shell != nil && !cn.shell.broken.Load() {
		return cn.shell, nil
	}
	if cn.shell != nil { // broken: its slot is free again
		cn.shell = nil
		cn.limit++
	}
	if cn.limit < 3 {
		return nil, errors.New("too few sessions allowed to keep one open")
	}
	sh, err := startSharedShell(cn.client)
	if err != nil {
		return nil, err
	}
	h.stats.sessionOpened()
	cn.shell = sh
	cn.limit-- // the shell keeps one session open
	return sh, nil
}
