package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Bastions are jumped in order, each with its own settings, and the target's host key
// is checked behind them.
func TestBastionsAreJumpedInOrderAndTheTargetKeyIsChecked(t *testing.T) {
	debug := testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}}
	jump1 := testenv.StartSSHD(t, debug)
	jump2 := testenv.StartSSHD(t, debug)
	target := testenv.StartSSHD(t, testenv.SSHDOptions{})
	// Each hop has its own key, user setting and known_hosts file.
	jump2.AuthorizeKey(t, jump1.ClientKeyPub)
	target.AuthorizeKey(t, jump1.ClientKeyPub)

	c := baseConfig(target)
	c.PrivateKeyFile = jump1.ClientKey
	c.Bastions = []Bastion{
		{Host: "127.0.0.1", Port: jump1.Port, User: "root", KnownHostsFile: jump1.KnownHosts},
		{Host: "127.0.0.1", Port: jump2.Port, KnownHostsFile: jump2.KnownHosts},
	}
	cl, err := Dial(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	res, err := cl.Run(context.Background(), "hostname", "echo reached", nil)
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "reached" {
		t.Fatalf("%q, %v", res.Stdout, err)
	}
	// The jump hosts' logs show the forwarding: jump1 to jump2, jump2 to the target.
	for _, hop := range []struct {
		log  string
		next int
	}{{jump1.Log(), jump2.Port}, {jump2.Log(), target.Port}} {
		if want := fmt.Sprintf("target 127.0.0.1 port %d", hop.next); !strings.Contains(hop.log, want) {
			t.Fatalf("a jump host did not forward to port %d; its log:\n%s", hop.next, hop.log)
		}
	}

	// The target's host key is checked too, behind the bastions.
	c.KnownHostsFile = jump1.KnownHosts // records jump1's key, not the target's
	_, err = Dial(context.Background(), c)
	var hk *HostKeyError
	if !errors.As(err, &hk) || !strings.Contains(err.Error(), "target hop 3 of 3") {
		t.Fatalf("want the target's host key refused, got %v", err)
	}
}

// A host certificate is trusted through a @cert-authority line of its CA, never another's.
func TestHostCertificateIsTrustedOnlyFromAKnownCA(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "host_ca")
	caPub := testenv.NewKey(t, ca, "")
	s := testenv.StartSSHD(t, testenv.SSHDOptions{HostCA: ca})
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte("@cert-authority 127.0.0.1,[127.0.0.1]:* "+caPub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := baseConfig(s)
	c.KnownHostsFile = knownHosts
	if user, err := runEcho(t, c); err != nil || user != "root" {
		t.Fatalf("host certificate signed by a trusted CA: %q, %v", user, err)
	}
	// Another CA is not trusted.
	other := testenv.NewKey(t, filepath.Join(dir, "other_ca"), "")
	if err := os.WriteFile(knownHosts, []byte("@cert-authority 127.0.0.1,[127.0.0.1]:* "+other+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runEcho(t, c); err == nil {
		t.Fatal("a host certificate from an untrusted CA was accepted")
	}
}

func TestKeepaliveDetectsAStalledPeer(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	c := baseConfig(s)
	c.KeepaliveInterval = 300 * time.Millisecond
	cl, err := Dial(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	running := filepath.Join(t.TempDir(), "running")
	done := make(chan error, 1)
	go func() {
		_, err := cl.Run(context.Background(), "long command", "touch "+shell.Quote(running)+"; sleep 60", nil)
		done <- err
	}()
	waitForFile(t, running) // the session is open: stall the peer now
	pids := s.ConnectionPids()
	if len(pids) == 0 {
		t.Fatal("no sshd connection process to stall")
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGSTOP)
	}
	defer func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no keepalive reply") {
			t.Fatalf("want a keepalive error, got %v", err)
		}
	case <-time.After(20 * time.Second): // a hang, not a timing measurement
		t.Fatal("a stalled peer made the command hang")
	}
}

func TestConnectRetriesUntilTheServerListens(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{NoStart: true})
	started := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond) // refused until then; the connect budget is 30 s
		started <- s.StartErr()
	}()
	user, err := runEcho(t, baseConfig(s))
	if serr := <-started; serr != nil {
		t.Fatal(serr)
	}
	if err != nil || user != "root" {
		t.Fatalf("want the connection to succeed once sshd listens, got %q, %v", user, err)
	}

	// Nothing listens and the budget runs out: the error names the cause and the time.
	c := baseConfig(s)
	c.Port = freePortForTest(t)
	c.ConnectTimeout = 700 * time.Millisecond
	_, err = runEcho(t, c)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("want the last cause and the time spent, got %v", err)
	}
}

func TestAuthFailuresAreNotRetried(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	c := baseConfig(s)
	c.PrivateKeyFile = filepath.Join(t.TempDir(), "stranger")
	testenv.NewKey(t, c.PrivateKeyFile, "")
	c.ConnectTimeout = time.Minute
	_, err := runEcho(t, c)
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") || strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("want an immediate auth error, got %v", err)
	}
	if n := strings.Count(s.Log(), "Failed publickey for root"); n != 1 {
		t.Fatalf("a refused key was retried: %d connections\n%s", n, s.Log())
	}
}

func freePortForTest(t *testing.T) int {
	t.Helper()
	s := testenv.StartSSHD(t, testenv.SSHDOptions{NoStart: true})
	return s.Port // reserved by the rig and never started
}

// insecure_ignore_host_key skips the check of the target and of every jump host without
// a host_key of its own; a jump host's pinned host_key is still checked.
func TestInsecureKeepsABastionsPinnedKey(t *testing.T) {
	jump := testenv.StartSSHD(t, testenv.SSHDOptions{})
	target := testenv.StartSSHD(t, testenv.SSHDOptions{})
	target.AuthorizeKey(t, jump.ClientKeyPub)
	c := baseConfig(target)
	c.PrivateKeyFile, c.KnownHostsFile, c.InsecureIgnoreHostKey = jump.ClientKey, "/nonexistent/known_hosts", true
	c.Bastions = []Bastion{{Host: "127.0.0.1", Port: jump.Port}}
	if _, err := runEcho(t, c); err != nil {
		t.Fatalf("insecure must cover a jump host without host_key: %v", err)
	}
	c.Bastions[0].HostKey = jump.OtherHostKey // pinned, and wrong
	_, err := runEcho(t, c)
	var hk *HostKeyError
	if !errors.As(err, &hk) {
		t.Fatalf("a jump host's pinned host_key must be checked even with insecure_ignore_host_key: %v", err)
	}
	c.Bastions[0].HostKey = jump.HostKeyLine
	if _, err := runEcho(t, c); err != nil {
		t.Fatalf("the right pinned key must pass: %v", err)
	}
}

// waitForFile waits for a command on the test host (this machine) to create path.
func waitForFile(t *testing.T, path string) {
	t.Helper()
	waitForFileOrGiveUp(path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s never appeared", path)
	}
}

// waitForFileOrGiveUp is waitForFile for goroutines other than the test's: after 30 s
// it returns anyway, and the test sees what the command did.
func waitForFileOrGiveUp(path string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
}
