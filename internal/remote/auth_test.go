package remote

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// loginsAsOpenSSH logs in to alias through file with the provider and with OpenSSH (the
// oracle), both using the agent at sock, and fails unless both say the same.
func loginsAsOpenSSH(t *testing.T, file *SSHConfigFile, alias, sock string, wantOK bool) { //nolint:unparam // alias names the Host block under test
	t.Helper()
	cmd := exec.Command("ssh", "-F", file.Path, "-o", "BatchMode=yes", alias, "whoami")
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	out, sshErr := cmd.CombinedOutput()
	c := Config{Host: alias, User: "nobody", Agent: sock != "", AgentSocket: sock, ConnectTimeout: time.Minute}
	if err := ApplySSHConfig(&c, file, Written{}, "me"); err != nil {
		t.Fatal(err)
	}
	got, err := runEcho(t, c)
	if (sshErr == nil) != wantOK {
		t.Fatalf("the oracle disagrees with the test: ssh %v\n%s", sshErr, out)
	}
	if (err == nil) != wantOK || wantOK && got != strings.TrimSpace(string(out)) {
		t.Fatalf("ssh: %q, %v; the provider: %q, %v", strings.TrimSpace(string(out)), sshErr, got, err)
	}
}

// An IdentityFile whose key the agent holds is used through the agent, as ssh does: an
// encrypted key the agent unlocked needs no passphrase, and a .pub (1Password,
// Secretive, YubiKey agents) names the agent's key.
func TestIdentityFileHeldByAgentIsUsedThroughIt(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	dir := t.TempDir()
	encrypted := filepath.Join(dir, "encrypted")
	s.AuthorizeKey(t, testenv.NewKey(t, encrypted, "correct horse"))
	sock := testenv.StartAgent(t)
	testenv.AddToAgent(t, sock, encrypted, "correct horse")
	noPub := filepath.Join(dir, "no-pub")
	if err := os.Link(encrypted, noPub); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"encrypted key": encrypted, "its .pub": encrypted + ".pub", "encrypted key without .pub": noPub} {
		t.Run(name, func(t *testing.T) {
			f := writeSSHConfig(t, s.SSHConfigHost("shop", "IdentityFile "+id, "IdentitiesOnly yes"))
			loginsAsOpenSSH(t, f, "shop", sock, true)
		})
	}
}

// IdentitiesOnly yes offers only the agent's keys of the identity files; without it,
// every agent key is offered too.
func TestIdentitiesOnlyOffersOnlyTheIdentityFiles(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	dir := t.TempDir()
	inAgent, other := filepath.Join(dir, "in-agent"), filepath.Join(dir, "other")
	s.AuthorizeKey(t, testenv.NewKey(t, inAgent, ""))
	testenv.NewKey(t, other, "") // not authorized
	sock := testenv.StartAgent(t, inAgent)
	for _, only := range []string{"yes", "no"} {
		t.Run("IdentitiesOnly "+only, func(t *testing.T) {
			f := writeSSHConfig(t, fmt.Sprintf("Host shop\n  IdentityFile %s\n  IdentitiesOnly %s\n  HostName 127.0.0.1\n  Port %d\n  User root\n  UserKnownHostsFile %s\n",
				other, only, s.Port, s.KnownHosts))
			loginsAsOpenSSH(t, f, "shop", sock, only == "no")
		})
	}
}

// <IdentityFile>-cert.pub is used with its key untold, as ssh does: a server that
// trusts only the CA lets the key in.
func TestIdentityFileCertificateFoundBesideIt(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	dir := t.TempDir()
	ca, key := filepath.Join(dir, "ca"), filepath.Join(dir, "id_ed25519")
	s.AuthorizeKey(t, "cert-authority "+testenv.NewKey(t, ca, ""))
	testenv.NewKey(t, key, "")
	cert, err := os.ReadFile(testenv.SignUserKey(t, ca, key+".pub", "root", "+1h"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key+"-cert.pub", cert, 0o600); err != nil {
		t.Fatal(err)
	}
	f := writeSSHConfig(t, fmt.Sprintf("Host shop\n  IdentityFile %s\n  HostName 127.0.0.1\n  Port %d\n  User root\n  UserKnownHostsFile %s\n", key, s.Port, s.KnownHosts))
	loginsAsOpenSSH(t, f, "shop", "", true)
}
