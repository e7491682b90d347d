package testenv

import (
	_ "embed"
	"os"
	"path/filepath"
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
