package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Client is one authenticated SSH connection. Sessions are multiplexed on it, at most
// MaxSessions at a time, so a busy plan never trips the server's session limit.
type Client struct {
	ssh      *ssh.Client
	address  string
	sessions chan struct{}
	done     chan struct{} // closed once the connection is gone
	closeErr error
	once     sync.Once
}

// Result is what a finished remote command printed.
type Result struct {
	Stdout []byte
	Stderr []byte
}

// Dial connects and authenticates. The context bounds the TCP connect and handshake,
// together with ConnectTimeout.
func Dial(ctx context.Context, c Config) (*Client, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	check, err := newHostKeyCheck(c)
	if err != nil {
		return nil, err
	}
	methods, closeAgent, err := authMethods(c)
	if err != nil {
		return nil, err
	}
	defer closeAgent()

	timeout := c.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	address := c.Address()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", address, err)
	}
	// The handshake has no context of its own: a deadline on the socket bounds it.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, address, &ssh.ClientConfig{
		User:              c.User,
		Auth:              methods,
		HostKeyCallback:   check.callback,
		HostKeyAlgorithms: check.algorithms,
		Timeout:           timeout,
	})
	stop()
	if err != nil {
		_ = conn.Close()
		var hk *HostKeyError
		if errors.As(err, &hk) {
			return nil, hk
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connecting to %s: timed out after %s during the SSH handshake", address, timeout)
		}
		return nil, fmt.Errorf("SSH handshake with %s as %q: %w", address, c.User, err)
	}
	_ = conn.SetDeadline(time.Time{})

	maxSessions := c.MaxSessions
	if maxSessions <= 0 {
		maxSessions = DefaultMaxSessions
	}
	cl := &Client{
		ssh:      ssh.NewClient(sshConn, chans, reqs),
		address:  address,
		sessions: make(chan struct{}, maxSessions),
		done:     make(chan struct{}),
	}
	go func() {
		err := cl.ssh.Wait()
		cl.markClosed(err)
	}()
	interval := c.KeepaliveInterval
	if interval == 0 {
		interval = DefaultKeepaliveInterval
	}
	if interval > 0 {
		go cl.keepalive(interval)
	}
	return cl, nil
}

func (c *Client) markClosed(err error) {
	c.once.Do(func() {
		if err == nil {
			err = errors.New("connection closed")
		}
		c.closeErr = err
		close(c.done)
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
	err := c.ssh.Close()
	c.markClosed(errors.New("connection closed by the provider"))
	return err
}

// keepalive sends OpenSSH keepalive requests; a peer that does not answer within two
// intervals is treated as dead and the connection closed, so no command hangs forever.
func (c *Client) keepalive(interval time.Duration) {
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
		case <-time.After(2 * interval):
		case <-c.done:
			return
		}
		_ = c.ssh.Close()
		c.markClosed(fmt.Errorf("connection to %s lost: no keepalive reply within %s", c.address, 3*interval))
		return
	}
}

// newSession opens a session, retrying briefly when the server refuses the channel:
// a session we just closed may still count against the server's MaxSessions until
// the server has processed the close.
func (c *Client) newSession(ctx context.Context) (*ssh.Session, error) {
	delay := 5 * time.Millisecond
	for attempt := 0; ; attempt++ {
		session, err := c.ssh.NewSession()
		var refused *ssh.OpenChannelError
		if err == nil || !errors.As(err, &refused) || refused.Reason != ssh.ConnectionFailed || attempt == 10 {
			return session, err
		}
		select {
		case <-time.After(delay):
			delay *= 2
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// watchdog runs the command ($1) with the payload that precedes it on stdin, and kills
// its whole process group when stdin reaches EOF before the command is done: that is
// what the server does when the client closes the channel (cancel, timeout, lost
// connection). OpenSSH refuses "signal" requests for root logins, so this is the
// mechanism that always works. The payload never appears in argv or the environment of
// the SSH request; stdin of a background list must be redirected explicitly (POSIX
// gives it /dev/null otherwise, and dash ignores a plain <&0), hence fd 3.
const watchdog = `IFS= read -r n || exit 125
p=x
if [ "$n" -gt 0 ]; then p=$(head -c "$n"; echo x); fi
p=${p%x}
exec 3<&0
( cat <&3 >/dev/null 2>&1; kill -TERM 0 ) >/dev/null 2>&1 &
w=$!
printf %s "$p" | sh -c "$1" 3<&- &
c=$!
wait "$c"; s=$?
kill "$w" 2>/dev/null
exit "$s"`

// Run executes cmd with sh on the host, feeding stdin to it (which is how secrets reach
// the host: never argv or the environment of the request). label names the command in
// errors and logs and must not contain secrets. A non-zero exit is an *ExitError.
// When ctx ends first, the channel is closed and the watchdog kills the remote process.
func (c *Client) Run(ctx context.Context, label, cmd string, stdin []byte) (Result, error) {
	select {
	case c.sessions <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("%s: %w", label, ctx.Err())
	case <-c.done:
		return Result{}, fmt.Errorf("%s: %w", label, c.closeErr)
	}
	defer func() { <-c.sessions }()

	session, err := c.newSession(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("%s: opening an SSH session on %s: %w", label, c.address, err)
	}
	defer session.Close()

	var stdout, stderr lockedBuffer
	session.Stdout, session.Stderr = &stdout, &stderr
	in, err := session.StdinPipe()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", label, err)
	}
	defer in.Close()
	if err := session.Start("sh -c " + Quote(watchdog) + " sh " + Quote(cmd)); err != nil {
		return Result{}, fmt.Errorf("%s: starting on %s: %w", label, c.address, err)
	}
	// stdin stays open after the payload: its EOF is the watchdog's kill signal.
	payload := append([]byte(strconv.Itoa(len(stdin))+"\n"), stdin...)
	if _, err := in.Write(payload); err != nil {
		return Result{}, fmt.Errorf("%s: sending input to %s: %w", label, c.address, err)
	}
	finished := make(chan error, 1)
	go func() { finished <- session.Wait() }()

	var waitErr error
	select {
	case waitErr = <-finished:
	case <-ctx.Done():
		_ = session.Signal(ssh.SIGTERM)
		_ = in.Close()
		_ = session.Close()
		return Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()},
			fmt.Errorf("%s on %s: %w (the remote process was stopped)", label, c.address, ctx.Err())
	case <-c.done:
		return Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}, fmt.Errorf("%s: %w", label, c.closeErr)
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exit *ssh.ExitError
	switch {
	case waitErr == nil:
		return res, nil
	case errors.As(waitErr, &exit):
		return res, &ExitError{Command: label, ExitStatus: exit.ExitStatus(), Signal: exit.Signal(),
			Stdout: res.Stdout, Stderr: res.Stderr}
	}
	return res, fmt.Errorf("%s on %s: %w", label, c.address, waitErr)
}

// lockedBuffer lets Run return what arrived so far while the session's copy
// goroutines may still be writing (after a cancel or a dropped connection).
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}
