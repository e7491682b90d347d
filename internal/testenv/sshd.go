package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SSHD is a real OpenSSH server on 127.0.0.1 with throwaway host keys. Clients log in
// as root with ClientKey; KnownHosts records only the ed25519 host key, so a client
// that negotiates ECDSA first would fail (Go's known bug).
type SSHD struct {
	Dir            string
	Port           int
	ClientKey      string // private key file, no passphrase
	ClientKeyPub   string
	KnownHosts     string // known_hosts file with the ed25519 host key
	HostKeyLine    string // "ssh-ed25519 AAAA..." of the server
	OtherHostKey   string // a different ed25519 public key line, for mismatch tests
	authorizedKeys string
	config         string
	log            string
	cmd            *exec.Cmd
	starts         int // "Server listening" lines seen so far (the log survives restarts)
}

// SSHDOptions adjusts the server.
type SSHDOptions struct {
	// ExtraConfig lines go first in sshd_config, so they win (sshd keeps the first value).
	ExtraConfig []string
	// HostCA, a CA private key, signs the ed25519 host key into a host certificate.
	HostCA string
	// NoStart leaves starting to the test (Start), e.g. to test connect retries.
	NoStart bool
}

// StartSSHD starts sshd and stops it at cleanup.
func StartSSHD(t TB, opts SSHDOptions) *SSHD {
	t.Helper()
	need(t, "/usr/sbin/sshd", "ssh-keygen")
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("creating /run/sshd: %v", err)
	}
	dir := t.TempDir()
	s := &SSHD{
		Dir:            dir,
		ClientKey:      filepath.Join(dir, "client_ed25519"),
		KnownHosts:     filepath.Join(dir, "known_hosts"),
		authorizedKeys: filepath.Join(dir, "authorized_keys"),
		config:         filepath.Join(dir, "sshd_config"),
		log:            filepath.Join(dir, "sshd.log"),
	}
	s.ClientKeyPub = NewKey(t, s.ClientKey, "")
	s.AuthorizeKey(t, s.ClientKeyPub)
	hostEd := NewKey(t, filepath.Join(dir, "host_ed25519"), "")
	NewKeyType(t, filepath.Join(dir, "host_ecdsa"), "ecdsa", "")
	s.HostKeyLine = hostEd
	s.OtherHostKey = NewKey(t, filepath.Join(dir, "other_host_ed25519"), "")
	s.Port = freePort(t)
	writeFile(t, s.KnownHosts, fmt.Sprintf("[127.0.0.1]:%d %s\n", s.Port, hostEd), 0o600)

	cfg := append([]string{}, opts.ExtraConfig...)
	if opts.HostCA != "" {
		run(t, nil, "", "ssh-keygen", "-q", "-s", opts.HostCA, "-h", "-I", "test-host", "-n", "127.0.0.1", "-V", "+1h", filepath.Join(dir, "host_ed25519.pub"))
		cfg = append(cfg, "HostCertificate "+filepath.Join(dir, "host_ed25519-cert.pub"))
	}
	cfg = append(cfg,
		"Port "+strconv.Itoa(s.Port),
		"ListenAddress 127.0.0.1",
		// ECDSA is listed first so the server prefers it unless the client asks for ed25519.
		"HostKey "+filepath.Join(dir, "host_ecdsa"),
		"HostKey "+filepath.Join(dir, "host_ed25519"),
		"PidFile "+filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile "+s.authorizedKeys,
		"StrictModes no",
		"UsePAM no",
		"PermitRootLogin yes",
		"PasswordAuthentication yes",
		"KbdInteractiveAuthentication no",
		"LogLevel VERBOSE",
		"AcceptEnv none",
	)
	writeFile(t, s.config, strings.Join(cfg, "\n")+"\n", 0o600)
	t.Cleanup(s.Stop)
	if !opts.NoStart {
		s.Start(t)
	}
	return s
}

// Start (re)starts the server on its port.
func (s *SSHD) Start(t TB) {
	t.Helper()
	if err := s.StartErr(); err != nil {
		t.Fatalf("%v", err)
	}
}

// StartErr is Start for goroutines other than the test's: it returns what went wrong.
func (s *SSHD) StartErr() error {
	logFile, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening sshd log: %w", err)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", s.config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("starting sshd: %w", err)
	}
	s.cmd = cmd
	go func() { _ = cmd.Wait(); _ = logFile.Close() }()
	// Wait for this sshd to say it listens (dialling the port could reach another test
	// binary's server that grabbed the same free port first).
	ready := fmt.Sprintf("Server listening on 127.0.0.1 port %d", s.Port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Count(s.Log(), ready) > s.starts {
			s.starts++
			return nil
		}
	}
	return fmt.Errorf("sshd did not listen on 127.0.0.1:%d; log:\n%s", s.Port, s.Log())
}

// ConnectionPids lists the per-connection sshd processes (not the listener, not the
// commands they run), e.g. to SIGSTOP a connection or kill sshd under a command.
func (s *SSHD) ConnectionPids() []int {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	var pids []int
	for _, pid := range Descendants(s.cmd.Process.Pid) {
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "sshd" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Kill kills the listener and the per-connection sshd processes but not the commands
// they run, as when sshd crashes or is restarted under a running command.
func (s *SSHD) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	for _, pid := range s.ConnectionPids() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
	s.cmd = nil
}

// Stop kills the server and every session process it started.
func (s *SSHD) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	// Connection and session processes call setsid, so the process group does not
	// reach them: kill the whole tree below the listener.
	killTree(s.cmd.Process.Pid)
	s.cmd = nil
}

// Log returns what sshd wrote so far.
func (s *SSHD) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// AuthorizeKey adds a public key line (or a cert-authority line) to authorized_keys.
func (s *SSHD) AuthorizeKey(t TB, line string) {
	t.Helper()
	f, err := os.OpenFile(s.authorizedKeys, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("opening authorized_keys: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatalf("writing authorized_keys: %v", err)
	}
}

// NewKey writes an ed25519 key pair to path (optionally passphrase-protected) and
// returns the public key line.
func NewKey(t TB, path, passphrase string) string {
	t.Helper()
	return NewKeyType(t, path, "ed25519", passphrase)
}

// NewKeyType is NewKey for another key type (ecdsa, rsa).
func NewKeyType(t TB, path, keyType, passphrase string) string {
	t.Helper()
	run(t, nil, "", "ssh-keygen", "-q", "-t", keyType, "-N", passphrase, "-C", "", "-f", path)
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatalf("reading %s.pub: %v", path, err)
	}
	return strings.TrimSpace(string(pub))
}

func freePort(t TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("unexpected listener address %v", l.Addr())
	}
	return addr.Port
}

// SignUserKey signs a public key file with the CA key for principal and validity
// (ssh-keygen -V syntax) and returns the certificate file.
func SignUserKey(t TB, caKey, pubFile, principal, validity string) string {
	t.Helper()
	dir := t.TempDir()
	tmp := filepath.Join(dir, "user.pub")
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatalf("%v", err)
	}
	writeFile(t, tmp, string(pub), 0o600)
	run(t, nil, "", "ssh-keygen", "-q", "-s", caKey, "-I", "test-"+principal, "-n", principal, "-V", validity, tmp)
	return filepath.Join(dir, "user-cert.pub") // ssh-keygen's name for the certificate of user.pub
}

// AuthorizeEveryUser lets every local account (TestUser too) log in with the keys of
// authorized_keys: sshd reads that file as the user logging in, so it and the folders
// above it (up to the temp folder) become readable by all.
func (s *SSHD) AuthorizeEveryUser(t TB) {
	t.Helper()
	if err := os.Chmod(s.authorizedKeys, 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	for dir := filepath.Dir(s.authorizedKeys); strings.HasPrefix(dir, os.TempDir()+"/"); dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o711); err != nil {
			t.Fatalf("%v", err)
		}
	}
}
