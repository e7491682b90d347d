package magento

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// BenchmarkApplyScript500 runs one upgrade of a realistic install (500 packages, the
// tool at 2.4.6 under Magento 2.4.7-p3) with the local sh, as the host would: the
// apply script and its Composer. procs/op counts the processes the host starts for it
// (PIDs handed out meanwhile; run it on a quiet machine), the cost that dominates where
// starting a process is dear. Between runs the root goes back to the lagging files.
func BenchmarkApplyScript500(b *testing.B) {
	r := sharedRepo(&testing.T{})
	dir := b.TempDir()
	lagging := r.NewRoot(b, filepath.Join(dir, "lagging"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6", Extra: 500})
	root := filepath.Join(dir, "shop")
	e := Exec{Env: testenv.EnvMap(r.ComposerEnv)}
	p := params(root).ChangeParams
	p.Target, p.ExpectMagento, p.ExpectInstalled, p.CheckInstalled, p.HostSlots = "2.4.7", "2.4.7-p3", "2.4.6", true, 1
	var procs int
	for b.Loop() {
		b.StopTimer()
		if out, err := exec.Command("sh", "-c", `rm -rf "$2" && cp -a "$1" "$2"`, "sh", lagging, root).CombinedOutput(); err != nil {
			b.Fatalf("%v %s", err, out)
		}
		before := lastPID(b)
		b.StartTimer()
		res, err := Change(context.Background(), &LocalRunner{}, e, p)
		b.StopTimer()
		procs += lastPID(b) - before
		if err != nil || res.Installed != "2.4.7" {
			b.Fatalf("want the upgrade to 2.4.7: %+v %v", res, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(procs)/float64(b.N), "procs/op")
}

// lastPID is the PID the kernel handed out last (/proc/loadavg's fifth field).
func lastPID(b *testing.B) int {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		b.Skipf("no /proc/loadavg: %v", err)
	}
	f := strings.Fields(string(raw))
	n, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		b.Fatalf("/proc/loadavg: %q", raw)
	}
	return n
}
