package remote

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// proxyStderrLines is how many of the ProxyCommand's last stderr lines an error quotes.
const proxyStderrLines = 5

// ProxyCommandError is a ProxyCommand that ended before the SSH connection was made.
// It names the command by its config file line only: the command's text may hold
// tokens.
type ProxyCommandError struct {
	Source string // config file line
	Status string // "exit status 255", or "still running"
	Stderr []string
	Err    error // the SSH error seen at that point
}

func (e *ProxyCommandError) Error() string {
	msg := fmt.Sprintf("the ProxyCommand set by %s %s: %v", e.Source, e.Status, e.Err)
	if len(e.Stderr) > 0 {
		msg += "; its last stderr lines: " + strings.Join(e.Stderr, " | ")
	}
	return msg
}

func (e *ProxyCommandError) Unwrap() error { return e.Err }

// proxyConn is a net.Conn over a local command's stdin and stdout (OpenSSH's
// ProxyCommand). Closing it ends the command and everything it started (its process
// group).
type proxyConn struct {
	cmd    *exec.Cmd
	in     *os.File // the command's stdin
	out    *os.File // the command's stdout
	errOut *os.File // our end of its stderr
	source string
	remote proxyAddr // the host and port the command reaches (%h:%p)

	mu     sync.Mutex
	stderr []string
	exited chan struct{}
	status string
	once   sync.Once
}

// safeToken is what a host name, alias or user may be when it is put into a ProxyCommand.
var safeToken = regexp.MustCompile(`^[A-Za-z0-9._:%@\[\]-]*$`)

// startProxyCommand runs c.ProxyCommand through sh -c with its tokens expanded.
func startProxyCommand(ctx context.Context, c Config) (*proxyConn, error) {
	// The tokens reach sh -c as they are (as in OpenSSH): refuse names that a shell would
	// read as more than a name (OpenSSH 9.6 does the same, CVE-2023-51385).
	for what, v := range map[string]string{"host": c.Host, "HostName": c.dialHost(), "user": c.User} {
		if strings.HasPrefix(v, "-") {
			return nil, fmt.Errorf("the %s %q begins with \"-\", which the ProxyCommand set by %s would read as an option (OpenSSH refuses it too)",
				what, v, c.ProxyCommand.Source)
		}
		if !safeToken.MatchString(v) {
			return nil, fmt.Errorf("the %s %q holds characters a shell would interpret, and the ProxyCommand set by %s would pass it to sh -c: "+
				"use a plain host or user name (letters, digits, . _ - : [ ] @ %%)", what, v, c.ProxyCommand.Source)
		}
	}
	command := expandTokens(c.ProxyCommand.Value, c.tokens(), proxyCommandTokens)
	cmd := exec.Command("sh", "-c", "exec "+command) //nolint:gosec // the operator's own ssh config
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = proxyCommandEnv(os.Environ())
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		_, _ = inR.Close(), inW.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_, _, _, _ = inR.Close(), inW.Close(), outR.Close(), outW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		_, _, _, _, _, _ = inR.Close(), inW.Close(), outR.Close(), outW.Close(), errR.Close(), errW.Close()
		return nil, fmt.Errorf("starting the ProxyCommand set by %s: %w", c.ProxyCommand.Source, err)
	}
	_, _, _ = inR.Close(), outW.Close(), errW.Close()
	p := &proxyConn{cmd: cmd, in: inW, out: outR, errOut: errR, source: c.ProxyCommand.Source,
		remote: proxyAddr(c.DialAddress()), exited: make(chan struct{})}
	tflog.Debug(ctx, "ProxyCommand started", map[string]any{"pid": cmd.Process.Pid, "source": p.source})
	logCtx := context.WithoutCancel(ctx)
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(errR)
		sc.Buffer(make([]byte, 4096), 1<<20)
		defer func() { _, _ = io.Copy(io.Discard, errR) }() // a longer line must not close the pipe on the command
		for sc.Scan() {
			line := sc.Text()
			tflog.Debug(logCtx, "ProxyCommand stderr", map[string]any{"line": line, "pid": cmd.Process.Pid})
			p.mu.Lock()
			p.stderr = append(p.stderr, line)
			if len(p.stderr) > proxyStderrLines {
				p.stderr = p.stderr[1:]
			}
			p.mu.Unlock()
		}
	}()
	go func() {
		err := cmd.Wait()
		select { // its last lines, unless something it left behind holds its stderr
		case <-stderrDone:
		case <-time.After(100 * time.Millisecond):
			_ = errR.Close()
		}
		p.mu.Lock()
		p.status = "exited with " + cmd.ProcessState.String()
		if err != nil && cmd.ProcessState == nil {
			p.status = "failed: " + err.Error()
		}
		p.mu.Unlock()
		tflog.Debug(logCtx, "ProxyCommand ended", map[string]any{"pid": cmd.Process.Pid, "status": p.status})
		close(p.exited)
	}()
	return p, nil
}

func (p *proxyConn) Read(b []byte) (int, error)  { return p.out.Read(b) }
func (p *proxyConn) Write(b []byte) (int, error) { return p.in.Write(b) }

// Close ends the command without waiting: stdin closed, its process group sent TERM,
// and KILL a second later if it is still there (waitProxyCommands waits for that).
func (p *proxyConn) Close() error {
	p.once.Do(func() {
		_ = p.in.Close()
		_ = p.out.Close()
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		stopping.Add(1)
		go func() {
			defer stopping.Done()
			select {
			case <-p.exited:
			case <-time.After(time.Second):
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				<-p.exited
			}
			_ = p.errOut.Close()
		}()
	})
	return nil
}

// stopping counts the ProxyCommands asked to stop that have not exited yet.
var stopping sync.WaitGroup

// waitProxyCommands waits until every ProxyCommand asked to stop has exited: at most
// about a second, however many there are, since they were all signalled at once.
func waitProxyCommands() { stopping.Wait() }

// LocalAddr and RemoteAddr are host:port, as an address must be (the known_hosts
// check parses it): the remote is the host and port the command was given.
func (p *proxyConn) LocalAddr() net.Addr  { return proxyAddr("127.0.0.1:0") }
func (p *proxyConn) RemoteAddr() net.Addr { return p.remote }

func (p *proxyConn) SetDeadline(t time.Time) error {
	return errors.Join(p.in.SetWriteDeadline(t), p.out.SetReadDeadline(t))
}
func (p *proxyConn) SetReadDeadline(t time.Time) error  { return p.out.SetReadDeadline(t) }
func (p *proxyConn) SetWriteDeadline(t time.Time) error { return p.in.SetWriteDeadline(t) }

// failed explains a connection that broke over the command: whether it had exited,
// and its last stderr lines. It waits a moment for the command to end, since an
// early EOF usually means it is exiting.
func (p *proxyConn) failed(err error) error {
	select {
	case <-p.exited:
	case <-time.After(500 * time.Millisecond):
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	status := p.status
	if status == "" {
		status = "was still running"
	}
	return &ProxyCommandError{Source: p.source, Status: status, Stderr: append([]string(nil), p.stderr...), Err: err}
}

type proxyAddr string

func (proxyAddr) Network() string  { return "proxycommand" }
func (a proxyAddr) String() string { return string(a) }

// secretEnv are the provider's secret variables: a ProxyCommand never inherits them.
var secretEnv = []string{"COMPOSER_AUTH", "MAGENTO_SSH_PRIVATE_KEY", "MAGENTO_COMPOSER_AUTH"}

func proxyCommandEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(secretEnv, name) {
			out = append(out, kv)
		}
	}
	return out
}
