package remote

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// The host key is found in any UserKnownHostsFile listed (a quoted one too) and in
// GlobalKnownHostsFile, as ssh finds it; a key in none of them is refused by both.
func TestHostKeyFoundInEveryKnownHostsFileAsOpenSSH(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	dir := filepath.Join(t.TempDir(), "with space")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	empty, spaced := filepath.Join(dir, "empty"), filepath.Join(dir, "known hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spaced, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		lines string
		ok    bool
	}{
		"second UserKnownHostsFile": {fmt.Sprintf("UserKnownHostsFile %q \"%s\"\n  GlobalKnownHostsFile /dev/null", empty, spaced), true},
		"GlobalKnownHostsFile":      {fmt.Sprintf("UserKnownHostsFile %s\n  GlobalKnownHostsFile /nonexistent \"%s\"", empty, spaced), true},
		"in none":                   {fmt.Sprintf("UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null", empty), false},
	} {
		t.Run(name, func(t *testing.T) {
			f := writeSSHConfig(t, fmt.Sprintf("Host shop\n  %s\n  StrictHostKeyChecking yes\n  IdentityFile %s\n  HostName 127.0.0.1\n  Port %d\n  User root\n",
				tc.lines, s.ClientKey, s.Port))
			loginsAsOpenSSH(t, f, "shop", "", tc.ok)
		})
	}
}
