package testenv

import (
	_ "embed"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

//go:embed cloud_cli_standin.sh
var cloudCLIStandIn string

// CloudCLIs writes stand-ins for the commands of SSM and EC2 Instance Connect (aws), IAP
// (gcloud) and Teleport (tsh) to a new folder, to put first in PATH. Each takes only the
// arguments of the real command's ProxyCommand shape, appends its command line to calls,
// and carries the connection to 127.0.0.1 at the port in its arguments (busybox nc).
func CloudCLIs(t TB) (bin, calls string) {
	t.Helper()
	need(t, "busybox")
	bin = t.TempDir()
	script := filepath.Join(bin, "cloud-cli")
	writeFile(t, script, cloudCLIStandIn, 0o755)
	for _, name := range []string{"aws", "gcloud", "tsh"} {
		if err := os.Symlink(script, filepath.Join(bin, name)); err != nil {
			t.Fatalf("%v", err)
		}
	}
	return bin, filepath.Join(bin, "calls")
}

// READMEProxyHosts is the "# ~/.ssh/config" block of the README's "Hosts behind SSM, IAP
// or Teleport" section: the examples users copy are the ones the tests run.
func READMEProxyHosts(t TB) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "README.md"))
	if err != nil {
		t.Fatalf("%v", err)
	}
	_, block, ok := strings.Cut(string(b), "```\n# ~/.ssh/config\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed || !strings.Contains(block, "ProxyCommand") {
		t.Fatalf("README.md has no ~/.ssh/config block with ProxyCommand examples")
	}
	return block
}

// HostNames maps each Host alias of an ssh config text to its HostName.
func HostNames(text string) map[string]string {
	out, alias := map[string]string{}, ""
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Host":
			alias = f[1]
		case len(f) == 2 && f[0] == "HostName":
			out[alias] = f[1]
		}
	}
	return out
}
