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
)

// resolved is what ssh -G prints and the provider resolves for one alias: the fields
// that decide where and how a connection goes.
type resolved struct {
	HostName, Port, User, IdentityFiles, KnownHosts, Proxy, ConnectTimeout, ServerAliveInterval string
}

// opensshResolves runs ssh -G (OpenSSH itself) for alias with file.
func opensshResolves(t *testing.T, file, alias string) resolved {
	t.Helper()
	out, err := exec.Command("ssh", "-G", "-F", file, alias).Output()
	if err != nil {
		t.Fatalf("ssh -G %s: %v", alias, err)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		got[k] = append(got[k], v)
	}
	one := func(k string) string { return strings.Join(got[k], " ") }
	var ids []string
	for _, id := range got["identityfile"] {
		ids = append(ids, expandHomeForTest(id))
	}
	proxy := one("proxycommand")
	if j := one("proxyjump"); j != "" {
		proxy = "jump " + j
	}
	timeout := one("connecttimeout")
	if timeout == "none" {
		timeout = ""
	}
	return resolved{HostName: one("hostname"), Port: one("port"), User: one("user"), IdentityFiles: strings.Join(ids, " "),
		KnownHosts: one("userknownhostsfile") + " " + one("globalknownhostsfile"), Proxy: proxy,
		ConnectTimeout: timeout, ServerAliveInterval: one("serveraliveinterval")}
}

func expandHomeForTest(p string) string {
	if strings.HasPrefix(p, "~/") {
		return passwdHome() + p[1:]
	}
	return p
}

// providerResolves is the provider's resolution of alias through file.
func providerResolves(t *testing.T, f *SSHConfigFile, alias, localUser string) resolved {
	t.Helper()
	c := Config{Host: alias, User: localUser}
	if err := ApplySSHConfig(&c, f, Written{}, localUser); err != nil {
		t.Fatalf("%s: %v", alias, err)
	}
	var ids []string
	for _, id := range c.IdentityFiles {
		ids = append(ids, id.Value)
	}
	proxy := c.ProxyCommand.Value
	if len(c.Bastions) > 0 {
		proxy = "jump " + f.lookup(alias, localUser, "").ProxyJump.Value // ssh -G prints the value, not the chain
	}
	timeout := ""
	if c.ConnectTimeout > 0 {
		timeout = fmt.Sprint(int(c.ConnectTimeout / time.Second))
	}
	alive := "0"
	if c.KeepaliveInterval > 0 {
		alive = fmt.Sprint(int(c.KeepaliveInterval / time.Second))
	}
	return resolved{HostName: strings.ToLower(c.dialHost()), Port: fmt.Sprint(c.port()), User: c.User, IdentityFiles: strings.Join(ids, " "),
		KnownHosts: strings.Join(append([]string{c.KnownHostsFile}, c.KnownHostsFiles...), " "), Proxy: proxy,
		ConnectTimeout: timeout, ServerAliveInterval: alive}
}

// Config files people have, resolved by the provider exactly as ssh -G resolves them:
// host name, port, user, identity files, known_hosts files, proxy and timeouts.
func TestSSHConfigResolvesAsOpenSSH(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inc := write("included", "Host inc\n  HostName from-include\n  Port 2200\nHost *\n  User from-include-star\n")
	write("glob-a.conf", "Host globbed\n  HostName glob-a\n")
	t.Setenv("TFM_KEYS", "/keys")
	for _, tc := range []struct {
		name, text string
		aliases    []string
	}{
		{"Include with a trailing comment and double blanks", "Include " + inc + "   # shared hosts\nInclude  " + dir + "/glob-*.conf\nHost plain\n  Port 2\n",
			[]string{"inc", "plain", "globbed"}},
		{"time units", "Host t\n  ConnectTimeout 1m\n  ServerAliveInterval 2m\n", []string{"t"}},
		{"? matches exactly one character", "Host web?\n  HostName one-more\nHost *\n  HostName other\n", []string{"web", "web1", "web12"}},
		{"tab-separated patterns", "Host\tfirst\tsecond\n  User tabbed\n", []string{"first", "second", "third"}},
		{"duplicate IdentityFile merged", "Host d\n  IdentityFile /a\n  IdentityFile /b\nHost *\n  IdentityFile /a\n", []string{"d"}},
		{"no IdentityFile: the defaults", "Host none\n  Port 3\n", []string{"none"}},
		{"known_hosts files, quoted and several", "Host kh\n  UserKnownHostsFile \"/kh/one\" /kh/two\n  GlobalKnownHostsFile /g/one /g/two\n", []string{"kh", "other"}},
		{"Match host after HostName", "Host m\n  HostName matched.example\nMatch host *.example\n  User by-match\nMatch originalhost m\n  Port 2022\n", []string{"m", "x.example"}},
		{"Match user and localuser", "Host mu\n  User alice\nMatch user alice\n  Port 2200\nMatch localuser " + me.Username + "\n  HostName local-match\nMatch !localuser " + me.Username + "\n  HostName never\n", []string{"mu", "other"}},
		{"Host patterns are case-sensitive, Match host is not", "Host Shop\n  Port 5\nMatch originalhost OTHER\n  Port 6\n", []string{"shop", "Shop", "other"}},
		{"Match all", "Host a\n  Port 10\nMatch all\n  User everyone\n", []string{"a", "b"}},
		{"Match is not Host", "Match host nomatch\n  User wrong\nHost *\n  User right\n", []string{"anything"}},
		{"ProxyJump and ProxyCommand: the first wins", "Host j3\n  ProxyJump none\nHost p1\n  ProxyJump j1,j2\nHost p2\n  ProxyCommand nc %h %p\nHost *\n  ProxyJump j3\n", []string{"p1", "p2", "p3"}},
		{"Include inside a Host block", "Host scoped\n  Include " + inc + "\n  User scoped-user\n", []string{"scoped", "inc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tc.name, " ", "_"), tc.text)
			f, err := LoadSSHConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, alias := range tc.aliases {
				want, got := opensshResolves(t, path, alias), providerResolves(t, f, alias, me.Username)
				if want != got {
					t.Errorf("%s:\nssh -G:   %+v\nprovider: %+v", alias, want, got)
				}
			}
		})
	}
}

// Match criteria the provider cannot evaluate as OpenSSH would (exec runs a command)
// are refused naming the file and line, never read as Host.
func TestSSHConfigRefusesUnsupportedMatchNamingLine(t *testing.T) {
	for _, crit := range []string{"exec \"true\"", "canonical", "final", "localnetwork 10.0.0.0/8", "tagged x", "host a exec true"} {
		path := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(path, []byte("Host a\n  Port 1\n\nMatch "+crit+"\n  User x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSSHConfig(path)
		if err == nil || !strings.Contains(err.Error(), path+" line 4") || !strings.Contains(err.Error(), "Match") {
			t.Errorf("Match %s: want a refusal naming %s line 4, got %v", crit, path, err)
		}
	}
}

// Tokens and ${VAR} in IdentityFile expand to what ssh itself tries (ssh -v names each
// identity file it loads; the connection goes nowhere: ProxyCommand false).
func TestSSHConfigExpandsTokensAsOpenSSH(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TFM_KEYS", "/keys")
	t.Setenv("HOME", t.TempDir()) // ~ and %d are the passwd home, not $HOME
	path := filepath.Join(t.TempDir(), "config")
	text := "Host tok\n  HostName Real.Example\n  User deploy\n  Port 2222\n  HostKeyAlias keyname\n  ProxyCommand false\n" +
		"  IdentityFile ~/.ssh/%k-%C-%i\n  IdentityFile %d/%l-%L-%u-%r-%h-%p-%n\n  IdentityFile ${TFM_KEYS}/id\n  IdentityFile /dup\n  IdentityFile /dup\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("ssh", "-v", "-F", path, "-o", "BatchMode=yes", "tok", "true").CombinedOutput()
	var want []string
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "debug1: identity file "); ok {
			if file, _, ok := strings.Cut(rest, " type "); ok && !strings.HasSuffix(file, "-cert") {
				want = append(want, file)
			}
		}
	}
	f, err := LoadSSHConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Host: "tok"}
	if err := ApplySSHConfig(&c, f, Written{}, me.Username); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range c.IdentityFiles {
		got = append(got, id.Value)
	}
	if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("identity files\nssh:      %q\nprovider: %q\nssh -v said:\n%s", want, got, out)
	}
}

// A user Terraform sets is seen by Match user as ssh sees one given with -l.
func TestSSHConfigMatchUserSeesTerraformsUser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte("Host shop\n  User from-file\nMatch user deploy\n  Port 2201\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ssh", "-G", "-F", path, "-l", "deploy", "shop").Output()
	if err != nil {
		t.Fatal(err)
	}
	f, err := LoadSSHConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Host: "shop", User: "deploy"}
	if err := ApplySSHConfig(&c, f, Written{User: true}, "me"); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("\nport %d\n", c.port()); !strings.Contains(string(out), want) || c.User != "deploy" {
		t.Fatalf("the provider resolved port %d, user %s; ssh -G -l deploy says:\n%s", c.port(), c.User, out)
	}
}
