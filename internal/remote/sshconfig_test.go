package remote

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeSSHConfig(t *testing.T, text string) *SSHConfigFile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := LoadSSHConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Lookup applies every matching Host block in order, first value wins, negated
// patterns exclude, and Include files count.
func TestSSHConfigLookupTakesTheFirstValueOfMatchingBlocks(t *testing.T) {
	dir := t.TempDir()
	included := filepath.Join(dir, "included")
	if err := os.WriteFile(included, []byte("Host inc\n  HostName from-include\n  Port 2200\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := writeSSHConfig(t, `Include `+included+`
Host shop1 shop2
  HostName 10.0.0.%h
  User deploy
  IdentityFile ~/.ssh/first
  IdentityFile %d/second_%u

Host shop* !shop3
  Port 2222
  User ignored-first-wins
  IdentityFile /third

Host *.internal
  ProxyJump jump
  ProxyCommand never-used

Host db.internal
  ProxyCommand also-never

Host *
  ProxyCommand ssh -W %h:%p gw
  ServerAliveInterval 5
`)
	home, _ := os.UserHomeDir()
	for _, tc := range []struct {
		alias string
		want  map[string]string // field -> value; "" = not set
	}{
		{"shop1", map[string]string{"HostName": "10.0.0.%h", "User": "deploy", "Port": "2222", "ProxyCommand": "ssh -W %h:%p gw", "ProxyJump": ""}},
		{"shop3", map[string]string{"HostName": "", "User": "", "Port": ""}}, // negated: the shop* block is skipped
		{"shopX", map[string]string{"User": "ignored-first-wins", "Port": "2222"}},
		{"db.internal", map[string]string{"ProxyJump": "jump", "ProxyCommand": ""}}, // first of the pair wins
		{"inc", map[string]string{"HostName": "from-include", "Port": "2200"}},
	} {
		s := f.Lookup(tc.alias)
		got := map[string]string{"HostName": s.HostName.Value, "User": s.User.Value, "Port": s.Port.Value,
			"ProxyCommand": s.ProxyCommand.Value, "ProxyJump": s.ProxyJump.Value}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.alias, k, got[k], v)
			}
		}
	}
	s := f.Lookup("shop2")
	var ids []string
	for _, id := range s.IdentityFiles {
		ids = append(ids, id.Value)
	}
	if want := []string{"~/.ssh/first", "%d/second_%u", "/third"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("IdentityFile values %q, want %q", ids, want)
	}
	if want := f.Path + " line 5"; s.IdentityFiles[0].Source != want {
		t.Errorf("source %q, want %q", s.IdentityFiles[0].Source, want)
	}
	if src := f.Lookup("inc").HostName.Source; !strings.Contains(src, "Include at line 1") {
		t.Errorf("an included value's source %q does not name the Include", src)
	}

	c := Config{Host: "shop2", User: "local", KnownHostsFile: "/default"}
	if err := ApplySSHConfig(&c, f, Written{}, "me"); err != nil {
		t.Fatal(err)
	}
	if c.HostName != "10.0.0.shop2" || c.Port != 2222 || c.User != "deploy" || c.Host != "shop2" {
		t.Errorf("resolved %+v", c)
	}
	if got := []string{c.IdentityFiles[0].Value, c.IdentityFiles[1].Value}; got[0] != home+"/.ssh/first" || got[1] != home+"/second_me" {
		t.Errorf("IdentityFile expanded to %q", got)
	}
	if c.ProxyCommand.Value != "ssh -W %h:%p gw" || c.KeepaliveInterval != 5*time.Second {
		t.Errorf("ProxyCommand %q, keepalive %s", c.ProxyCommand.Value, c.KeepaliveInterval)
	}

	// What Terraform wrote wins.
	c = Config{Host: "shop2", User: "tf", Port: 22, PrivateKeyFile: "/tf-key"}
	if err := ApplySSHConfig(&c, f, Written{User: true, Port: true, PrivateKey: true}, "me"); err != nil {
		t.Fatal(err)
	}
	if c.User != "tf" || c.Port != 22 || c.IdentityFiles != nil || c.PrivateKeyFile != "/tf-key" {
		t.Errorf("Terraform's settings lost to the file: %+v", c)
	}
}

// A jump host is resolved through the file as ssh resolves it: its own HostName, Port,
// User (else the local user, never the target's), every IdentityFile; the first hop's
// own ProxyJump comes first, a later hop's is overridden by the chain (as ssh -J does).
func TestSSHConfigJumpHostsResolvedLikeTheTarget(t *testing.T) {
	f := writeSSHConfig(t, `Host target
  HostName 10.1.1.1
  User deploy
  ProxyJump jump2,admin@jump1:2201
Host jump1
  ProxyJump never-used
Host jump2
  HostName 192.0.2.2
  Port 2202
  ProxyJump j2user@jump0
  IdentityFile /missing-first
  IdentityFile /second
Host jump0
  HostName 192.0.2.100
`)
	c := Config{Host: "target", User: "me"}
	if err := ApplySSHConfig(&c, f, Written{}, "local"); err != nil {
		t.Fatal(err)
	}
	type hop struct {
		Alias, Host string
		Port        int
		User        string
		IDs         []string
	}
	var got []hop
	for _, b := range c.Bastions {
		h := hop{b.Alias, b.Host, b.Port, b.User, nil}
		for _, id := range b.IdentityFiles {
			if id.Source != DefaultIdentitySource {
				h.IDs = append(h.IDs, id.Value)
			}
		}
		got = append(got, h)
	}
	want := []hop{
		{"jump0", "192.0.2.100", 0, "j2user", nil},
		{"jump2", "192.0.2.2", 2202, "local", []string{"/missing-first", "/second"}},
		{"jump1", "jump1", 2201, "admin", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bastions\n%+v\nwant\n%+v", got, want)
	}
	bad := writeSSHConfig(t, "Host x\n  ProxyJump j:notaport\n")
	c = Config{Host: "x"}
	if err := ApplySSHConfig(&c, bad, Written{}, "me"); err == nil || !strings.Contains(err.Error(), bad.Path+" line 2") {
		t.Errorf("a bad ProxyJump does not name its line: %v", err)
	}
}

// ExpandTokens replaces OpenSSH's %h, %p, %r, %n, %u, %d and %%, and leaves other
// tokens as written.
func TestExpandTokensReplacesOpenSSHsTokens(t *testing.T) {
	home, _ := os.UserHomeDir()
	tok := Tokens{Host: "10.0.0.5", Port: 2222, User: "deploy", Alias: "shop", LocalUser: "me"}
	for in, want := range map[string]string{
		"ssh -W %h:%p bastion":     "ssh -W 10.0.0.5:2222 bastion",
		"aws ssm start-session %n": "aws ssm start-session shop",
		"%r@%h 100%% %u":           "deploy@10.0.0.5 100% me",
		"%d/.ssh/id_%r":            home + "/.ssh/id_deploy",
		"unknown %Z stays, end %":  "unknown %Z stays, end %",
		"tsh proxy ssh %r@%n:%p":   "tsh proxy ssh deploy@shop:2222",
	} {
		if got := ExpandTokens(in, tok); got != want {
			t.Errorf("ExpandTokens(%q) = %q, want %q", in, got, want)
		}
	}
}
