package remote

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A jump host from the file is reached as ssh reaches it: its own User (else the local
// user, never the target's), its own ProxyJump, and every IdentityFile it lists, a
// missing or unauthorized one skipped. The provider and ssh both log in.
func TestJumpHostFromFileUsesItsOwnUserProxyJumpAndKeys(t *testing.T) {
	testenv.EnsureUser(t)
	target := testenv.StartSSHD(t, testenv.SSHDOptions{})
	target.AuthorizeEveryUser(t)
	j1 := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	j2 := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	dir := t.TempDir()
	jumpKey, otherKey := filepath.Join(dir, "jump"), filepath.Join(dir, "other")
	pub := testenv.NewKey(t, jumpKey, "")
	j1.AuthorizeKey(t, pub)
	j2.AuthorizeKey(t, pub)
	testenv.NewKey(t, otherKey, "")
	known := filepath.Join(dir, "known_hosts")
	var lines string
	for _, s := range []*testenv.SSHD{target, j1, j2} {
		b, _ := os.ReadFile(s.KnownHosts)
		lines += string(b)
	}
	if err := os.WriteFile(known, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	f := writeSSHConfig(t, fmt.Sprintf(`Host target
  HostName 127.0.0.1
  Port %d
  User %s
  IdentityFile %s
  ProxyJump j2
Host j2
  HostName 127.0.0.1
  Port %d
  User root
  ProxyJump j1
  IdentityFile /nonexistent/first
  IdentityFile %s
  IdentityFile %s
Host j1
  HostName 127.0.0.1
  Port %d
  IdentityFile %s
Host *
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  IdentitiesOnly yes
`, target.Port, testenv.TestUser, target.ClientKey, j2.Port, otherKey, jumpKey, j1.Port, jumpKey, known))
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Host: "target", User: "nobody", ConnectTimeout: time.Minute}
	if err := ApplySSHConfig(&c, f, Written{}, me.Username); err != nil {
		t.Fatal(err)
	}
	got, err := runEcho(t, c)
	if err != nil || got != testenv.TestUser {
		t.Fatalf("through j1 and j2: %q, %v\n%s", got, err, target.Log())
	}
	if want := "Accepted publickey for " + me.Username; !strings.Contains(j1.Log(), want) || strings.Contains(j1.Log(), "for "+testenv.TestUser) {
		t.Errorf("j1 (no User) was not logged in to as the local user %s; its log:\n%s", me.Username, j1.Log())
	}
	if want := fmt.Sprintf("target 127.0.0.1 port %d", j2.Port); !strings.Contains(j1.Log(), want) {
		t.Errorf("j2 was not reached through its own ProxyJump j1; j1's log:\n%s", j1.Log())
	}
	out, err := exec.Command("ssh", "-F", f.Path, "-o", "BatchMode=yes", "target", "whoami").Output()
	if err != nil || strings.TrimSpace(string(out)) != got {
		t.Fatalf("ssh (the oracle) says %q, %v; the provider %q", out, err, got)
	}
}

// A first jump host reached through its own ProxyCommand (a bastion behind SSM) is
// reached so, as ssh does, with its host key checked; the target behind it too.
func TestJumpHostFromFileUsesItsOwnProxyCommand(t *testing.T) {
	target := testenv.StartSSHD(t, testenv.SSHDOptions{})
	bastion := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	bastion.AuthorizeKey(t, target.ClientKeyPub)
	bin, calls := testenv.CloudCLIs(t)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	known := filepath.Join(t.TempDir(), "known_hosts")
	tk, _ := os.ReadFile(target.KnownHosts)
	bk := fmt.Sprintf("[i-0bastion]:%d %s\n", bastion.Port, bastion.HostKeyLine)
	if err := os.WriteFile(known, append(tk, bk...), 0o600); err != nil {
		t.Fatal(err)
	}
	f := writeSSHConfig(t, fmt.Sprintf(`Host inner
  HostName 127.0.0.1
  Port %d
  ProxyJump bastion
Host bastion
  HostName i-0bastion
  Port %d
  ProxyCommand aws ssm start-session --target %%h --document-name AWS-StartSSHSession --parameters portNumber=%%p
Host *
  User root
  IdentityFile %s
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
`, target.Port, bastion.Port, target.ClientKey, known))
	c := Config{Host: "inner", User: "nobody", ConnectTimeout: time.Minute}
	if err := ApplySSHConfig(&c, f, Written{}, "me"); err != nil {
		t.Fatal(err)
	}
	got, err := runEcho(t, c)
	if err != nil || got != "root" {
		t.Fatalf("through the bastion's ProxyCommand: %q, %v", got, err)
	}
	if b, _ := os.ReadFile(calls); !strings.Contains(string(b), "aws ssm start-session --target i-0bastion") {
		t.Errorf("the bastion's ProxyCommand did not run; calls:\n%s", b)
	}
	if want := fmt.Sprintf("target 127.0.0.1 port %d", target.Port); !strings.Contains(bastion.Log(), want) {
		t.Errorf("the bastion did not forward to the target; its log:\n%s", bastion.Log())
	}
	out, err := exec.Command("ssh", "-F", f.Path, "-o", "BatchMode=yes", "inner", "whoami").Output()
	if err != nil || strings.TrimSpace(string(out)) != got {
		t.Fatalf("ssh (the oracle) says %q, %v; the provider %q", out, err, got)
	}
}
