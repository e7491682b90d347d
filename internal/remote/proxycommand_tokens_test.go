package remote

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A host value the provider's host validator accepts (no whitespace, no slash, no @)
// would reach sh -c through %h / %n of a ProxyCommand, and an ssh user through %r: such
// names are refused before anything runs (as OpenSSH 9.6 does).
func TestProxyCommandTokensCannotInjectShell(t *testing.T) {
	hostRe := regexp.MustCompile(`^[^\s/]+$`) // internal/provider/validators.go:66
	dir := t.TempDir()
	for _, tc := range []struct{ name, host, user, proxy string }{
		{"host %h", "shop$(touch${IFS}${RV2_PWNED})", "deploy", "nc %h %p"},
		{"alias %n", "shop$(touch${IFS}${RV2_PWNED})", "deploy", "ssh -W %n:%p bastion"},
		{"user %r", "shop", "deploy`touch ${RV2_PWNED}`", "ssh -l %r bastion -W %h:%p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pwned := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".pwned")
			t.Setenv("RV2_PWNED", pwned)
			if !hostRe.MatchString(tc.host) || strings.Contains(tc.host, "@") {
				t.Fatalf("validator would reject %q", tc.host)
			}
			f := writeSSHConfig(t, "Host *\n  ProxyCommand "+tc.proxy+"\n")
			c := Config{Host: tc.host, User: tc.user, KnownHostsFile: "/nonexistent", ConnectTimeout: 2 * time.Second}
			if err := ApplySSHConfig(&c, f, Written{User: true}, "me"); err != nil {
				t.Fatal(err)
			}
			p, err := startProxyCommand(context.Background(), c)
			if err == nil {
				_ = p.Close()
				t.Fatalf("a %s with shell characters reached ProxyCommand %q", tc.name, tc.proxy)
			}
			if !strings.Contains(err.Error(), "holds characters a shell would interpret") {
				t.Fatalf("want the refusal named, got %v", err)
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Errorf("INJECTED: %q ran a command from the %s", tc.proxy, tc.name)
			}
		})
	}
}
