package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/crypto/ssh"
)

// Client is one authenticated SSH connection to a target, possibly tunnelled through
// bastions. Host multiplexes sessions over one or more Clients.
type Client struct {
	ssh      *ssh.Client   // the target
	hops     []*ssh.Client // bastions then target, closed in reverse
	address  string
	done     chan struct{} // closed once the connection is gone
	closeErr error
	once     sync.Once
}

// cancelGrace is how long Run waits, after its context ends, for the remote command
// to clean up (the apply script restores its backup) before giving up.
const cancelGrace = 60 * time.Second

func newClient(c Config, hops []*ssh.Client) *Client {
	cl := &Client{ssh: hops[len(hops)-1], hops: hops, address: c.Address(), done: make(chan struct{})}
	for _, h := range hops {
		go func() { cl.markClosed(h.Wait()) }() // any hop going down ends the connection
	}
	interval := c.KeepaliveInterval
	if interval == 0 {
		interval = DefaultKeepaliveInterval
	}
	if interval > 0 {
		countMax := c.KeepaliveCountMax
		if countMax <= 0 {
			countMax = 3
		}
		go cl.keepalive(interval, countMax)
	}
	return cl
}

func (c *Client) markClosed(err error) {
	c.once.Do(func() {
		if err == nil {
			err = errors.New("connection closed")
		}
		c.closeErr = fmt.Errorf("connection to %s lost: %w", c.address, err)
		close(c.done)
		for i := len(c.hops) - 1; i >= 0; i-- {
			_ = c.hops[i].Close()
		}
	})
}

// Alive reports whether the connection is still usable.
func (c *Client) Alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Close ends the connection and every session on it.
func (c *Client) Close() error {
	c.markClosed(errors.New("closed by the provider"))
	return nil
}

// keepalive sends OpenSSH keepalive requests; a peer that does not answer within two
// more intervals is treated as dead (about three intervals in all) and the connection
// closed, so no command hangs on a stalled or vanished host.
func (c *Client) keepalive(interval time.Duration, countMax int) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ticker.C:
		}
		answered := make(chan error, 1)
		go func() {
			_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
			answered <- err
		}()
		select {
		case err := <-answered:
			if err == nil {
				continue
			}
			c.markClosed(err)
		case <-time.After(time.Duration(max(countMax-1, 1)) * interval):
			c.markClosed(fmt.Errorf("no keepalive reply within %s", time.Duration(countMax)*interval))
		case <-c.done:
		}
		return
	}
}

// watchdog runs the command ($1) with the payload that precedes it on stdin, and kills
// its whole process group when a further line arrives on stdin (the client cancels:
// Ctrl-C, timeout) or stdin reaches EOF (the channel or connection is gone). A line
// rather than EOF is the cancel signal because sshd may drop the command's remaining
// output once the client half-closes. OpenSSH refuses "signal" requests for root logins, so this is the
// mechanism that always works. The payload never appears in argv or the environment of
// the SSH request. Stdin of a background list must be redirected explicitly (POSIX
// gives it /dev/null otherwise, and dash ignores a plain <&0), hence fd 3.
//
// The command starts before the killer listens: a cancel that arrives at once (a
// deadline already past) still finds the command there to stop. The killer sends TERM
// twice, a second apart: a child forked a moment before the first still had the
// watchdog's trap and swallowed it. A command that cleans up (the apply script's
// restore) ignores TERM from its first on.
//
// The watchdog itself survives that TERM (a trap; children still get the default
// action) and waits for the command, so whatever the command prints while it cleans
// up (the apply script's restore) still reaches the client before the channel closes.
const watchdog = `IFS= read -r n || exit 125
p=x
if [ "$n" -gt 0 ]; then p=$(head -c "$n"; echo x); fi
p=${p%x}
trap : TERM
exec 3<&0
printf %s "$p" | sh -c "$1" 3<&- &
c=$!
( trap '' TERM; read -r _ <&3; kill -TERM 0; sleep 1; kill -TERM 0 ) >/dev/null 2>&1 &
w=$!
wait "$c"; s=$?
while kill -0 "$c" 2>/dev/null; do wait "$c"; s=$?; done
kill -KILL "$w" 2>/dev/null
exit "$s"`

// newSession opens a session. A refusal (the server's MaxSessions) is returned as is,
// for Host to try another connection.
func (c *Client) newSession() (*ssh.Session, error) {
	select {
	case <-c.done:
		return nil, c.closeErr
	default:
	}
	return c.ssh.NewSession()
}

// Run executes cmd with sh on the host, feeding stdin to it (which is how secrets reach
// the host: never argv or the environment of the request). label names the command in
// errors and logs and must not contain secrets. A non-zero exit is an *ExitError.
// When ctx ends first, the watchdog stops the command (the apply script then restores
// its backup); Run waits up to cancelGrace for that and returns what it printed.
func (c *Client) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	session, err := c.newSession()
	if err != nil {
		return shell.Result{}, fmt.Errorf("%s: opening an SSH session on %s: %w", label, c.address, err)
	}
	return c.run(ctx, session, label, cmd, stdin, nil)
}

// run runs cmd in session; line, when set, gets each line of stdout as it arrives.
func (c *Client) run(ctx context.Context, session *ssh.Session, label, cmd string, stdin []byte, line func(string)) (shell.Result, error) {
	defer session.Close()
	started := time.Now()
	var stdout, stderr lockedBuffer
	stdout.line = line
	session.Stdout, session.Stderr = &stdout, &stderr
	in, err := session.StdinPipe()
	if err != nil {
		return shell.Result{}, fmt.Errorf("%s: %w", label, err)
	}
	defer in.Close()
	if err := session.Start("sh -c " + shell.Quote(watchdog) + " sh " + shell.Quote(cmd)); err != nil {
		return shell.Result{}, fmt.Errorf("%s: starting on %s: %w", label, c.address, err)
	}
	// stdin stays open after the payload: a newline or EOF is the watchdog's kill signal.
	payload := append([]byte(strconv.Itoa(len(stdin))+"\n"), stdin...)
	if _, err := in.Write(payload); err != nil {
		return shell.Result{}, fmt.Errorf("%s: sending input to %s: %w", label, c.address, err)
	}
	finished := make(chan error, 1)
	go func() { finished <- session.Wait() }()

	result := func() shell.Result { return shell.Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()} }
	var waitErr error
	select {
	case waitErr = <-finished:
	case <-ctx.Done():
		_, _ = in.Write([]byte("\n")) // the watchdog sends TERM to the command's process group
		_ = session.Signal(ssh.SIGTERM)
		ended, said := "still running after the grace period", fmt.Sprintf("the remote command was signalled but still ran %s later", cancelGrace)
		select {
		case err := <-finished:
			ended, said = fmt.Sprint(err), "the remote command was stopped"
		case <-time.After(cancelGrace):
		case <-c.done:
			ended, said = "connection lost", "the remote command was signalled; the connection was lost before it ended"
		}
		tflog.Debug(ctx, "ssh command stopped", map[string]any{"label": label, "address": c.address,
			"duration": time.Since(started).String(), "reason": ctx.Err().Error(), "ended": ended})
		// The cause: a timeout that started late ends its context with DeadlineExceeded.
		return result(), fmt.Errorf("%s on %s: %w (%s)", label, c.address, context.Cause(ctx), said)
	case <-c.done:
		return result(), fmt.Errorf("%s: %w", label, c.closeErr)
	}
	res := result()
	var exit *ssh.ExitError
	if errors.As(waitErr, &exit) {
		logCommand(ctx, label, c.address, started, res, &shell.ExitError{ExitStatus: exit.ExitStatus()})
	} else {
		logCommand(ctx, label, c.address, started, res, waitErr)
	}
	switch {
	case waitErr == nil:
		return res, nil
	case exit != nil:
		return res, &shell.ExitError{Command: label, ExitStatus: exit.ExitStatus(), Signal: exit.Signal(),
			Stdout: res.Stdout, Stderr: res.Stderr}
	}
	// No exit status: sshd or the connection died under the command. The connection's
	// own error usually follows within moments and names the cause.
	var missing *ssh.ExitMissingError
	if errors.As(waitErr, &missing) {
		select {
		case <-c.done:
			return res, fmt.Errorf("%s: %w", label, c.closeErr)
		case <-time.After(time.Second):
		}
		return res, fmt.Errorf("%s: connection to %s lost: the session ended without an exit status", label, c.address)
	}
	select {
	case <-c.done:
		return res, fmt.Errorf("%s: %w", label, c.closeErr)
	default:
	}
	return res, fmt.Errorf("%s on %s: %w", label, c.address, waitErr)
}

// lockedBuffer lets Run return what arrived so far while the session's copy
// goroutines may still be writing (after a cancel or a dropped connection). line, when
// set, is called with each complete line as it arrives.
type lockedBuffer struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
	told int // buf[:told] went to line
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	for b.line != nil {
		end := bytes.IndexByte(b.buf[b.told:], '\n')
		if end < 0 {
			break
		}
		b.line(string(b.buf[b.told : b.told+end]))
		b.told += end + 1
	}
	return len(p), nil
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}

// logCommand writes the debug line for a finished command: label, duration, status.
func logCommand(ctx context.Context, label, address string, started time.Time, res shell.Result, err error) {
	status := 0
	var exit *shell.ExitError
	if errors.As(err, &exit) {
		status = exit.ExitStatus
	}
	tflog.Debug(ctx, "ssh command finished", map[string]any{"label": label, "address": address,
		"duration": time.Since(started).String(), "exit_status": status, "stdout_bytes": len(res.Stdout)})
}
