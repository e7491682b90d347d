package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"golang.org/x/crypto/ssh"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

func baseConfig(s *testenv.SSHD) Config {
	return Config{Host: "127.0.0.1", Port: s.Port, User: "root", PrivateKeyFile: s.ClientKey,
		KnownHostsFile: s.KnownHosts, ConnectTimeout: time.Minute} // generous: bcrypt of an encrypted key under -race on a loaded machine
}

func runEcho(t *testing.T, c Config) (string, error) {
	t.Helper()
	cl, err := Dial(context.Background(), c)
	if err != nil {
		return "", err
	}
	defer cl.Close()
	res, err := cl.Run(context.Background(), "whoami", "whoami", nil)
	return strings.TrimSpace(string(res.Stdout)), err
}

// Key file, key content, an encrypted key with its passphrase, the agent and a password
// each log in; each failure says why, and never echoes the password.
func TestAuthenticationMethodsLogInOrNameTheFix(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	dir := t.TempDir()

	encrypted := filepath.Join(dir, "encrypted")
	s.AuthorizeKey(t, testenv.NewKey(t, encrypted, "correct horse"))
	agentKey := filepath.Join(dir, "agent")
	s.AuthorizeKey(t, testenv.NewKey(t, agentKey, ""))
	sock := testenv.StartAgent(t, agentKey)
	keyPEM, err := os.ReadFile(s.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	password := testenv.EnsureUser(t)

	for _, tc := range []struct {
		name     string
		change   func(*Config)
		wantUser string
		wantErr  string
	}{
		{"key file", func(*Config) {}, "root", ""},
		{"key content", func(c *Config) { c.PrivateKeyFile, c.PrivateKey = "", string(keyPEM) }, "root", ""},
		{"passphrase key", func(c *Config) { c.PrivateKeyFile, c.PrivateKeyPassphrase = encrypted, "correct horse" }, "root", ""},
		{"passphrase missing", func(c *Config) { c.PrivateKeyFile = encrypted }, "", "is encrypted: set private_key_passphrase"},
		{"passphrase wrong", func(c *Config) { c.PrivateKeyFile, c.PrivateKeyPassphrase = encrypted, "wrong" }, "", "private_key_passphrase does not decrypt"},
		{"agent", func(c *Config) { c.PrivateKeyFile, c.Agent, c.AgentSocket = "", true, sock }, "root", ""},
		{"password", func(c *Config) { c.PrivateKeyFile, c.User, c.Password = "", testenv.TestUser, password }, testenv.TestUser, ""},
		{"password wrong", func(c *Config) { c.PrivateKeyFile, c.User, c.Password = "", testenv.TestUser, "nope" }, "", "unable to authenticate"},
		{"no credentials", func(c *Config) { c.PrivateKeyFile = "" }, "", "no SSH credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig(s)
			tc.change(&c)
			user, err := runEcho(t, c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
				}
				if c.Password != "" && strings.Contains(err.Error(), c.Password) {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if user != tc.wantUser {
				t.Fatalf("logged in as %q, want %q", user, tc.wantUser)
			}
		})
	}
}

// Host keys are checked against known_hosts or a pinned key; a refusal says whether the
// key changed and gives the offered key's type, fingerprint and known_hosts line.
func TestHostKeysAreVerifiedAndARefusalShowsTheOfferedKey(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(changed, []byte(fmt.Sprintf("[127.0.0.1]:%d %s\n", s.Port, s.OtherHostKey)), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name        string
		change      func(*Config)
		wantChanged bool
		wantErr     bool
	}{
		{"known_hosts with only ed25519 (server prefers ECDSA)", func(*Config) {}, false, false},
		{"unknown host", func(c *Config) { c.KnownHostsFile = empty }, false, true},
		{"missing known_hosts file", func(c *Config) { c.KnownHostsFile = filepath.Join(t.TempDir(), "nope") }, false, true},
		{"changed host key", func(c *Config) { c.KnownHostsFile = changed }, true, true},
		{"pinned key", func(c *Config) { c.KnownHostsFile, c.HostKey = "", s.HostKeyLine }, false, false},
		{"pinned key mismatch", func(c *Config) { c.KnownHostsFile, c.HostKey = "", s.OtherHostKey }, true, true},
		{"insecure", func(c *Config) { c.KnownHostsFile, c.InsecureIgnoreHostKey = empty, true }, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig(s)
			tc.change(&c)
			_, err := runEcho(t, c)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var hk *HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("want a HostKeyError, got %v", err)
			}
			// The line to add must hold exactly the key that was offered.
			_, _, offered, _, _, perr := ssh.ParseKnownHosts([]byte(hk.KnownHostsLine))
			if perr != nil {
				t.Fatalf("known_hosts line %q does not parse: %v", hk.KnownHostsLine, perr)
			}
			if hk.Changed != tc.wantChanged || hk.KeyType != offered.Type() || hk.Fingerprint != ssh.FingerprintSHA256(offered) ||
				!strings.HasPrefix(hk.Fingerprint, "SHA256:") || !strings.Contains(err.Error(), hk.Fingerprint) {
				t.Fatalf("host key error lacks the offered key's details: %+v / %v", hk, err)
			}
			// Against a recorded or pinned ed25519 key the client must ask for ed25519,
			// although the server prefers its ECDSA key.
			if tc.wantChanged && !strings.HasSuffix(hk.KnownHostsLine, strings.Fields(s.HostKeyLine)[1]) {
				t.Fatalf("offered key %s is not the server's ed25519 key", hk.KeyType)
			}
			if !strings.HasPrefix(hk.KnownHostsLine, fmt.Sprintf("[127.0.0.1]:%d ", s.Port)) {
				t.Fatalf("known_hosts line %q does not name the host and port", hk.KnownHostsLine)
			}
		})
	}
}

// Run returns stdout and stderr; a non-zero exit is an ExitError carrying its status
// and output.
func TestRunReturnsTheOutputAndAnExitErrorWithIt(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	cl, err := Dial(context.Background(), baseConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	res, err := cl.Run(context.Background(), "cat", "cat; echo err >&2", []byte("from stdin"))
	if err != nil || string(res.Stdout) != "from stdin" || string(res.Stderr) != "err\n" {
		t.Fatalf("got %q / %q / %v", res.Stdout, res.Stderr, err)
	}
	_, err = cl.Run(context.Background(), "fail", "echo out; echo boom >&2; exit 7", nil)
	var exit *shell.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus != 7 || string(exit.Stdout) != "out\n" || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("want exit status 7 with output, got %#v", err)
	}
}

func TestCancelledContextEndsRemoteCommand(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	cl, err := Dial(context.Background(), baseConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	marker := fmt.Sprintf("sleep 3%d", time.Now().UnixNano()%1000+100)
	running := filepath.Join(t.TempDir(), "running")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { waitForFileOrGiveUp(running); cancel() }() // cancelled once it runs
	_, err = cl.Run(ctx, "sleep", "touch "+shell.Quote(running)+"; exec "+marker, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancellation error, got %v", err)
	}
	// The remote sleep must be gone shortly after.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, _ := cl.Run(context.Background(), "pgrep", "pgrep -f "+shell.Quote("^"+marker+"$")+" || true", nil)
		if len(strings.TrimSpace(string(res.Stdout))) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("remote %q still running: pids %s\n%s", marker, res.Stdout, s.Log())
		}
	}
}

func TestPoolSharesOneConnection(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	pool := NewCountingPool()
	defer pool.Close()
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := pool.Get(context.Background(), baseConfig(s))
			if err == nil {
				_, err = h.Run(context.Background(), "echo", "sleep 0.2; echo ok", nil)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	if n := strings.Count(s.Log(), "Accepted publickey"); n != 1 || pool.Stats.Connections.Load() != 1 || pool.Stats.Sessions.Load() != 30 {
		t.Fatalf("30 sessions used %d logins (%d dials, %d sessions), want 1 connection", n, pool.Stats.Connections.Load(), pool.Stats.Sessions.Load())
	}

	// A connection that died is replaced on next use.
	h, _ := pool.Get(context.Background(), baseConfig(s))
	h.conns[0].client.markClosed(errors.New("simulated drop"))
	if _, err := h.Run(context.Background(), "echo", "echo again", nil); err != nil {
		t.Fatal(err)
	}
	if pool.Stats.Connections.Load() != 2 || h.Connections() != 1 {
		t.Fatalf("want a second dial replacing the dead connection, got %d dials, %d live", pool.Stats.Connections.Load(), h.Connections())
	}
}

func TestHostOpensAnotherConnectionWhenSessionsRunOut(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"MaxSessions 3"}})
	pool := NewCountingPool()
	defer pool.Close()
	h, err := pool.Get(context.Background(), baseConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.Run(context.Background(), "sleep", "sleep 0.5", nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	if n := pool.Stats.Connections.Load(); n < 2 || n > DefaultMaxConnections {
		t.Fatalf("MaxSessions 3 with 12 concurrent commands used %d connections, want 2..%d", n, DefaultMaxConnections)
	}
}

// A user certificate admits a key sshd does not list; an expired one is refused, and a
// plain public key given as certificate is a clear error.
func TestUserCertificateAdmitsAKeyUntilItExpires(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	caPub := testenv.NewKey(t, ca, "")
	if err := os.WriteFile(filepath.Join(dir, "ca.pub"), []byte(caPub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"TrustedUserCAKeys " + filepath.Join(dir, "ca.pub")}})
	key := filepath.Join(dir, "user")
	testenv.NewKey(t, key, "") // not in authorized_keys: only the certificate can admit it
	cert := testenv.SignUserKey(t, ca, key+".pub", "root", "+1h")
	expired := testenv.SignUserKey(t, ca, key+".pub", "root", "20200101:20200102")

	c := baseConfig(s)
	c.PrivateKeyFile = key
	if _, err := runEcho(t, c); err == nil {
		t.Fatal("the bare key must be refused, or the certificate test proves nothing")
	}
	c.CertificateFile = cert
	if user, err := runEcho(t, c); err != nil || user != "root" {
		t.Fatalf("certificate login: %q, %v", user, err)
	}
	c.CertificateFile = expired
	if _, err := runEcho(t, c); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("an expired certificate must be refused, got %v", err)
	}
	c.CertificateFile = key + ".pub"
	if _, err := runEcho(t, c); err == nil || !strings.Contains(err.Error(), "not an OpenSSH certificate") {
		t.Fatalf("a plain public key as certificate must be a clear error, got %v", err)
	}
}
