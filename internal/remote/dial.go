package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/crypto/ssh"
)

// Dial connects and authenticates, through c.Bastions in order when set. Transient
// failures (refused or reset connections while a host reboots, a jump host that cannot
// reach the next hop yet) are retried with backoff until ConnectTimeout; host key and
// authentication failures are not.
func Dial(ctx context.Context, c Config) (*Client, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	budget := c.ConnectTimeout
	if budget <= 0 {
		budget = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	started := time.Now()
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		cl, err := dialChain(ctx, c)
		if err == nil {
			tflog.Debug(ctx, "ssh connected", map[string]any{"address": c.Address(), "user": c.User,
				"bastions": len(c.Bastions), "attempts": attempt, "duration": time.Since(started).String()})
			return cl, nil
		}
		if !transient(err) {
			return nil, err
		}
		tflog.Debug(ctx, "ssh connect failed; retrying", map[string]any{"address": c.Address(), "attempt": attempt, "error": err.Error()})
		select {
		case <-time.After(backoff):
			backoff = min(backoff*2, 2*time.Second)
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (gave up after %d attempts over %s; connect_timeout is %s)",
				err, attempt, time.Since(started).Round(100*time.Millisecond), budget)
		}
	}
}

// transient reports failures worth retrying: the host or a hop is not accepting
// connections yet. Host key and authentication errors never are.
func transient(err error) bool {
	var hk *HostKeyError
	var open *ssh.OpenChannelError
	var proxy *ProxyCommandError
	switch {
	case errors.As(err, &hk), strings.Contains(err.Error(), "unable to authenticate"):
		return false
	case errors.As(err, &proxy):
		return proxy.Status == "was still running" // it exited: its own error, not the host's

	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &open):
		return open.Reason == ssh.ConnectionFailed
	}
	return false
}

// dialChain opens one connection per hop, each tunnelled through the previous one.
// Every hop's keys and host key files are read first: a local error never starts a
// ProxyCommand nor opens a connection.
func dialChain(ctx context.Context, c Config) (*Client, error) {
	hops := make([]Config, 0, len(c.Bastions)+1)
	for _, b := range c.Bastions {
		hops = append(hops, c.hop(b))
	}
	hops = append(hops, c)
	prepared := make([]handshakeSettings, len(hops))
	defer func() {
		for _, p := range prepared {
			if p.closeAgent != nil {
				p.closeAgent()
			}
		}
	}()
	for i, hop := range hops {
		var err error
		if prepared[i], err = prepareHandshake(hop, i > 0 || hop.ProxyCommand.Value != ""); err != nil {
			if len(hops) > 1 {
				return nil, fmt.Errorf("%s hop %d of %d (%s): %w", hopKind(i, len(hops)), i+1, len(hops), hop.named(), err)
			}
			return nil, err
		}
	}

	var clients []*ssh.Client
	closeAll := func() {
		for i := len(clients) - 1; i >= 0; i-- {
			_ = clients[i].Close()
		}
	}
	for i, hop := range hops {
		var (
			conn net.Conn
			err  error
		)
		switch {
		case i == 0 && hop.ProxyCommand.Value != "":
			conn, err = startProxyCommand(ctx, hop)
		case i == 0:
			conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", hop.DialAddress())
		default:
			conn, err = clients[i-1].DialContext(ctx, "tcp", hop.DialAddress())
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("connecting to %s%s: %w", hop.named(), via(hops[:i]), err)
		}
		client, err := handshake(ctx, conn, hop, prepared[i])
		if err != nil {
			var hk *HostKeyError
			if pc, ok := conn.(*proxyConn); ok && !errors.As(err, &hk) {
				err = pc.failed(err)
			}
			_ = conn.Close()
			closeAll()
			if len(hops) > 1 {
				return nil, fmt.Errorf("%s hop %d of %d: %w", hopKind(i, len(hops)), i+1, len(hops), err)
			}
			return nil, err
		}
		clients = append(clients, client)
	}
	return newClient(c, clients), nil
}

func via(hops []Config) string {
	if len(hops) == 0 {
		return ""
	}
	return " via " + hops[len(hops)-1].named()
}

// named is the address dialled, and the alias it was written as when a config file
// resolved it to another host name.
func (c Config) named() string {
	if c.HostName != "" && c.HostName != c.Host {
		return fmt.Sprintf("%s (Host %s in %s)", c.DialAddress(), c.Host, c.ConfigFile)
	}
	return c.DialAddress()
}

func hopKind(i, n int) string {
	if i == n-1 {
		return "target"
	}
	return "bastion"
}

// handshakeSettings are one hop's host key check and auth methods, built before
// anything is dialled.
type handshakeSettings struct {
	check      hostKeyCheck
	methods    []ssh.AuthMethod
	names      []string
	closeAgent func()
}

func prepareHandshake(c Config, proxied bool) (handshakeSettings, error) {
	check, err := newHostKeyCheck(c, proxied)
	if err != nil {
		return handshakeSettings{}, err
	}
	methods, names, closeAgent, err := authMethods(c)
	if err != nil {
		return handshakeSettings{}, err
	}
	return handshakeSettings{check: check, methods: methods, names: names, closeAgent: closeAgent}, nil
}

// handshake runs the SSH handshake on conn for one hop, bounded by ctx.
func handshake(ctx context.Context, conn net.Conn, c Config, p handshakeSettings) (*ssh.Client, error) {
	check, methods := p.check, p.methods
	tflog.Debug(ctx, "ssh handshake", map[string]any{"address": c.Address(), "user": c.User, "auth_methods": p.names,
		"host_key_check": check.mode, "host_key_algorithms": check.algorithms})

	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	address := c.named()
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, c.hostKeyAddress(), &ssh.ClientConfig{
		User:              c.User,
		Auth:              methods,
		HostKeyCallback:   check.callback,
		HostKeyAlgorithms: check.algorithms,
	})
	if err != nil {
		var hk *HostKeyError
		if errors.As(err, &hk) {
			return nil, hk
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("SSH handshake with %s: %w", address, ctx.Err())
		}
		return nil, fmt.Errorf("SSH handshake with %s as %q: %w", address, c.User, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(sshConn, chans, reqs), nil
}
