package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// A ProxyCommand from the config file carries the connection, runs once and ends with
// it; StrictHostKeyChecking no never turns checking off, and HostKeyAlias names the key.
func TestProxyCommandFromConfigFileConnectsAndKeepsHostKeyChecks(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	dir := t.TempDir()
	proxy, pidFile := s.RecordingProxyCommand(t)
	f := writeSSHConfig(t, s.SSHConfigHost("shop", "StrictHostKeyChecking no", "ProxyCommand "+proxy))
	c := Config{Host: "shop", User: "nobody", KnownHostsFile: "/nonexistent", ConnectTimeout: time.Minute}
	if err := ApplySSHConfig(&c, f, Written{}, "me"); err != nil {
		t.Fatal(err)
	}
	if user, err := runEcho(t, c); err != nil || user != "root" {
		t.Fatalf("through the ProxyCommand: %q, %v", user, err)
	}
	pids := testenv.RecordedPids(pidFile)
	if len(pids) != 1 {
		t.Fatalf("ProxyCommand ran %d times, want once", len(pids))
	}
	// runEcho closed the connection: the command is gone.
	for deadline := time.Now().Add(5 * time.Second); alive(pids[0]); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ProxyCommand %d still runs after the connection closed", pids[0])
		}
	}

	// StrictHostKeyChecking no in the file never turns checking off.
	other := filepath.Join(dir, "other_known_hosts")
	if err := os.WriteFile(other, []byte("[127.0.0.1]:1 "+s.HostKeyLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.KnownHostsFile = other
	_, err := runEcho(t, c)
	var hk *HostKeyError
	if !errors.As(err, &hk) || !strings.Contains(err.Error(), "Host shop in "+f.Path) || !strings.Contains(err.Error(), "SHA256:") {
		t.Fatalf("want an unknown host key naming the alias, got %v", err)
	}
	if b, _ := os.ReadFile(other); strings.Count(string(b), "\n") != 1 {
		t.Fatalf("known_hosts was written to:\n%s", b)
	}

	// HostKeyAlias: the key is looked up under the alias, without a port.
	aliased := filepath.Join(dir, "aliased_known_hosts")
	if err := os.WriteFile(aliased, []byte("shop-key "+s.HostKeyLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.KnownHostsFile, c.HostKeyAlias = aliased, "shop-key"
	if user, err := runEcho(t, c); err != nil || user != "root" {
		t.Fatalf("with HostKeyAlias: %q, %v", user, err)
	}
}

// A ProxyCommand that exits fails at once with its status, stderr and the file's line;
// a missing IdentityFile is named with its line, unless another one exists.
func TestProxyCommandAndIdentityFileFailuresNameTheirLine(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	f := writeSSHConfig(t, "Host broken\n  HostName 127.0.0.1\n  ProxyCommand sh -c 'echo no route to %h >&2; exit 3'\n"+
		"Host nokey\n  HostName 127.0.0.1\n  IdentityFile /nonexistent/id_ed25519\n"+
		"Host broken\n  IdentityFile "+s.ClientKey+"\n")
	c := baseConfig(s)
	c.Host, c.PrivateKeyFile = "broken", ""
	if err := ApplySSHConfig(&c, f, Written{KnownHosts: true}, "me"); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	_, err := Dial(context.Background(), c)
	var pe *ProxyCommandError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), f.Path+" line 3") ||
		!strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "no route to 127.0.0.1") {
		t.Fatalf("want the ProxyCommand's exit, line and stderr, got %v", err)
	}
	if time.Since(started) > 10*time.Second {
		t.Errorf("a ProxyCommand that exits at once was retried for %s", time.Since(started))
	}

	c = baseConfig(s)
	c.Host, c.PrivateKeyFile = "nokey", ""
	if err := ApplySSHConfig(&c, f, Written{KnownHosts: true}, "me"); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(context.Background(), c); err == nil || !strings.Contains(err.Error(), "IdentityFile /nonexistent/id_ed25519 (set by "+f.Path+" line 6) does not exist") {
		t.Fatalf("want the missing IdentityFile named with its line, got %v", err)
	}
	// A missing IdentityFile next to one that exists is skipped, as in OpenSSH.
	c.IdentityFiles = append(c.IdentityFiles, Setting{Value: s.ClientKey, Source: "test"})
	if user, err := runEcho(t, c); err != nil || user != "root" {
		t.Fatalf("with one IdentityFile missing and one present: %q, %v", user, err)
	}
}

// A cancelled connect, and one past its connect timeout, end the ProxyCommand.
func TestProxyCommandEndsOnCancelAndTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		cancel  bool
	}{{"cancel", time.Minute, true}, {"connect timeout", time.Second, false}} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pids")
			f := writeSSHConfig(t, fmt.Sprintf("Host hang\n  ProxyCommand sh -c 'echo $$ >> %s; exec sleep 3607'\n", pidFile))
			c := Config{Host: "hang", User: "root", Password: "x", KnownHostsFile: "/nonexistent", ConnectTimeout: tc.timeout}
			if err := ApplySSHConfig(&c, f, Written{}, "me"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				go func() {
					for len(testenv.RecordedPids(pidFile)) == 0 {
						time.Sleep(20 * time.Millisecond)
					}
					cancel()
				}()
			}
			started := time.Now()
			if _, err := Dial(ctx, c); err == nil {
				t.Fatal("a hanging ProxyCommand connected")
			}
			if took := time.Since(started); took > 20*time.Second {
				t.Errorf("the dial took %s", took)
			}
			pid := testenv.RecordedPids(pidFile)[0]
			for deadline := time.Now().Add(5 * time.Second); alive(pid); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					out, _ := exec.Command("ps", "-o", "pid,args", "-p", strconv.Itoa(pid)).CombinedOutput()
					t.Fatalf("ProxyCommand still runs:\n%s", out)
				}
			}
		})
	}
}

// readmeProxyConfig writes the README's ProxyCommand hosts after a Host * block that
// sends them to s (first value wins: its Port and User; IdentityFile adds to theirs).
func readmeProxyConfig(t *testing.T, s *testenv.SSHD, knownHosts string, extra ...string) *SSHConfigFile {
	t.Helper()
	head := fmt.Sprintf("Host *\n  Port %d\n  User root\n  IdentityFile %s\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n",
		s.Port, s.ClientKey, knownHosts)
	for _, line := range extra {
		head += "  " + line + "\n"
	}
	return writeSSHConfig(t, head+"\n"+testenv.READMEProxyHosts(t))
}

// opensshLogin is OpenSSH's own answer (the oracle): whoami over a real ssh with the
// file, host keys checked, nothing else read.
func opensshLogin(t *testing.T, file, alias string) (string, error) {
	t.Helper()
	out, err := exec.Command("ssh", "-F", file, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", alias, "whoami").CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// The ProxyCommands of SSM, EC2 Instance Connect, IAP and Teleport (with --proxy=host:443)
// connect with host keys checked, and the key is looked up where OpenSSH looks: for each
// known_hosts file, the provider logs in exactly when ssh does.
func TestProxyCommandOfEveryCloudChecksHostKeysAsOpenSSH(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	bin, calls := testenv.CloudCLIs(t)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("SSH_AUTH_SOCK", "")
	names := testenv.HostNames(testenv.READMEProxyHosts(t))
	if len(names) < 4 {
		t.Fatalf("the README lists %d proxied hosts, want SSM, EC2 Instance Connect, IAP and Teleport", len(names))
	}
	dir := t.TempDir()
	for alias, hostName := range names {
		for _, kh := range []struct {
			name, line string
			alias      bool // HostKeyAlias set to the alias
		}{
			{"HostName and port", fmt.Sprintf("[%s]:%d", hostName, s.Port), false},
			{"Host alias and port", fmt.Sprintf("[%s]:%d", alias, s.Port), false},
			{"HostName without port", hostName, false},
			{"HostKeyAlias", alias, true},
			{"HostKeyAlias and port", fmt.Sprintf("[%s]:%d", alias, s.Port), true},
		} {
			t.Run(alias+"/"+kh.name, func(t *testing.T) {
				known := filepath.Join(dir, alias+strings.ReplaceAll(kh.name, " ", "-"))
				if err := os.WriteFile(known, []byte(kh.line+" "+s.HostKeyLine+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				var extra []string
				if kh.alias {
					extra = append(extra, "HostKeyAlias "+alias)
				}
				f := readmeProxyConfig(t, s, known, extra...)
				want, sshErr := opensshLogin(t, f.Path, alias)
				c := Config{Host: alias, User: "nobody", KnownHostsFile: "/nonexistent", ConnectTimeout: time.Minute}
				if err := ApplySSHConfig(&c, f, Written{}, "me"); err != nil {
					t.Fatal(err)
				}
				got, err := runEcho(t, c)
				if (sshErr == nil) != (err == nil) || sshErr == nil && got != want {
					t.Fatalf("ssh: %q, %v; the provider: %q, %v", want, sshErr, got, err)
				}
				var hk *HostKeyError
				if err != nil && !errors.As(err, &hk) {
					t.Fatalf("want a host key error like ssh's, got %v", err)
				}
			})
		}
	}
	b, _ := os.ReadFile(calls)
	for _, cli := range []string{"aws ssm start-session --target i-", "aws ec2-instance-connect open-tunnel --instance-id i-", "gcloud compute start-iap-tunnel ", "tsh proxy ssh --cluster="} {
		if !strings.Contains(string(b), cli) {
			t.Errorf("no call of %q; the stand-ins were called with:\n%s", cli, b)
		}
	}
}

// Keys and host key files are read before any ProxyCommand starts: a local error (an
// encrypted key without its passphrase, no credentials at all, an unreadable
// known_hosts file) is reported as itself, at once, and no SSM session or IAP tunnel is
// ever opened for it.
func TestProxyCommandStartsOnlyOnceLocalSettingsWork(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	proxy, pids := s.RecordingProxyCommand(t)
	dir := t.TempDir()
	encrypted := filepath.Join(dir, "encrypted")
	testenv.NewKey(t, encrypted, "secret words")
	badKnownHosts := filepath.Join(dir, "known_hosts_dir")
	if err := os.Mkdir(badKnownHosts, 0o700); err != nil {
		t.Fatal(err)
	}
	f := writeSSHConfig(t, "Host shop\n  HostName 127.0.0.1\n  ProxyCommand "+proxy+"\n")
	for name, tc := range map[string]struct {
		set  func(*Config)
		want string
	}{
		"encrypted key":          {func(c *Config) { c.PrivateKeyFile = encrypted }, "is encrypted: set private_key_passphrase"},
		"no credentials":         {func(c *Config) { c.PrivateKeyFile = "" }, "no SSH credentials"},
		"unreadable known_hosts": {func(c *Config) { c.KnownHostsFile = badKnownHosts }, "known_hosts"},
	} {
		t.Run(name, func(t *testing.T) {
			c := baseConfig(s)
			c.Host, c.Port = "shop", s.Port
			tc.set(&c)
			if err := ApplySSHConfig(&c, f, Written{Port: true, PrivateKey: true, KnownHosts: true}, "me"); err != nil {
				t.Fatal(err)
			}
			started := time.Now()
			_, err := Dial(context.Background(), c)
			var pe *ProxyCommandError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &pe) {
				t.Fatalf("want %q, not blamed on the ProxyCommand; got %v", tc.want, err)
			}
			if took := time.Since(started); took > 5*time.Second {
				t.Errorf("a local error was retried for %s", took)
			}
			if n := len(testenv.RecordedPids(pids)); n != 0 {
				t.Fatalf("the ProxyCommand was started %d times for a local error", n)
			}
		})
	}
}

// An error names the config file and line of the ProxyCommand, never its text: a token
// or secret written in the command stays out of diagnostics.
func TestProxyCommandErrorNamesLineNotCommand(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	f := writeSSHConfig(t, "Host shop\n  HostName 127.0.0.1\n  ProxyCommand sh -c 'echo failed >&2; exit 3' --token=hunter2-token\n")
	c := baseConfig(s)
	c.Host = "shop"
	if err := ApplySSHConfig(&c, f, Written{Port: true}, "me"); err != nil {
		t.Fatal(err)
	}
	_, err := Dial(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), f.Path+" line 3") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("want the line and exit status, got %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error quotes the command's text: %v", err)
	}
}

// The ProxyCommand does not inherit the provider's secret environment variables.
func TestProxyCommandEnvironmentHoldsNoProviderSecrets(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	for _, name := range []string{"COMPOSER_AUTH", "MAGENTO_SSH_PRIVATE_KEY", "MAGENTO_COMPOSER_AUTH"} {
		t.Setenv(name, "leaked-"+name)
	}
	t.Setenv("KEPT_FOR_THE_COMMAND", "kept")
	envFile := filepath.Join(t.TempDir(), "env")
	f := writeSSHConfig(t, fmt.Sprintf("Host shop\n  HostName 127.0.0.1\n  ProxyCommand sh -c 'env > %s; exit 3'\n", envFile))
	c := baseConfig(s)
	c.Host = "shop"
	if err := ApplySSHConfig(&c, f, Written{Port: true}, "me"); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(context.Background(), c); err == nil {
		t.Fatal("connected through a command that exits")
	}
	env, err := os.ReadFile(envFile)
	if err != nil || !strings.Contains(string(env), "KEPT_FOR_THE_COMMAND=kept") {
		t.Fatalf("the command's environment (%v):\n%s", err, env)
	}
	if strings.Contains(string(env), "leaked-") {
		t.Fatalf("the ProxyCommand inherited a secret:\n%s", env)
	}
}

// A host or user beginning with "-" never reaches a ProxyCommand (OpenSSH refuses it:
// the command would read it as an option).
func TestProxyCommandRefusesHostOrUserBeginningWithDash(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	f := writeSSHConfig(t, fmt.Sprintf("Host *\n  ProxyCommand sh -c 'echo $$ >> %s; exit 3' %%h %%r\n", pidFile))
	for _, c := range []Config{
		{Host: "-vshop", User: "root"},
		{Host: "shop", User: "-lroot"},
	} {
		c.Password, c.KnownHostsFile = "x", "/nonexistent"
		if err := ApplySSHConfig(&c, f, Written{}, "me"); err != nil {
			t.Fatal(err)
		}
		if _, err := Dial(context.Background(), c); err == nil || !strings.Contains(err.Error(), `begins with "-"`) {
			t.Errorf("host %q user %q: want a refusal naming the leading -, got %v", c.Host, c.User, err)
		}
	}
	if n := len(testenv.RecordedPids(pidFile)); n != 0 {
		t.Fatalf("the ProxyCommand ran %d times", n)
	}
}

// Closing a pool signals every ProxyCommand at once and waits once: four commands that
// ignore TERM cost one grace period, not four, and none is left running.
func TestPoolCloseStopsEveryProxyCommandAtOnce(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	testenv.CloudCLIs(t) // busybox nc is needed
	pidFile := filepath.Join(t.TempDir(), "pids")
	var hosts string
	for i := range 4 {
		hosts += fmt.Sprintf("Host shop%d\n  HostName 127.0.0.1\n  ProxyCommand sh -c 'echo $$ >> %s; trap \"\" TERM; busybox nc 127.0.0.1 %d; sleep 30'\n", i, pidFile, s.Port)
	}
	f := writeSSHConfig(t, hosts)
	pool := NewPool()
	defer pool.Close()
	for i := range 4 {
		c := baseConfig(s)
		c.Host = fmt.Sprintf("shop%d", i)
		if err := ApplySSHConfig(&c, f, Written{Port: true, PrivateKey: true, KnownHosts: true}, "me"); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Get(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	pids := testenv.RecordedPids(pidFile)
	if len(pids) != 4 {
		t.Fatalf("%d ProxyCommands ran, want 4", len(pids))
	}
	started := time.Now()
	pool.Close()
	if took := time.Since(started); took > 2500*time.Millisecond {
		t.Errorf("closing 4 ProxyCommands took %s: they were stopped one after another", took)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("ProxyCommand %d still runs after the pool closed", pid)
		}
	}
}

// A ProxyCommand that leaves a daemon holding its stderr still ends at once at close.
func TestProxyCommandCloseDoesNotWaitForItsStderr(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	testenv.CloudCLIs(t)
	daemonPid := filepath.Join(t.TempDir(), "daemon")
	f := writeSSHConfig(t, fmt.Sprintf("Host shop\n  HostName 127.0.0.1\n  ProxyCommand sh -c 'setsid sh -c \"echo \\$\\$ > %s; exec sleep 3609\" & exec busybox nc 127.0.0.1 %d'\n", daemonPid, s.Port))
	t.Cleanup(func() {
		for _, pid := range testenv.RecordedPids(daemonPid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	c := baseConfig(s)
	c.Host = "shop"
	if err := ApplySSHConfig(&c, f, Written{Port: true, PrivateKey: true, KnownHosts: true}, "me"); err != nil {
		t.Fatal(err)
	}
	cl, err := Dial(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(testenv.RecordedPids(daemonPid)) != 1 {
		t.Fatal("the daemon did not start")
	}
	started := time.Now()
	_ = cl.Close()
	waitProxyCommands()
	if took := time.Since(started); took > 700*time.Millisecond {
		t.Errorf("closing took %s: it waited for the daemon's stderr", took)
	}
}
