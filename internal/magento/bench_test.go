package magento

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// benchRoot is a realistic install: 500 packages, composer.lock and installed.json of
// about 1.7 MB each.
func benchRoot(b *testing.B) string {
	b.Helper()
	return sharedRepo(&testing.T{}).NewRoot(b, filepath.Join(b.TempDir(), "shop"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7", Extra: 500})
}

// BenchmarkReadScript500 runs the read command with the local sh, as the host would:
// the host-side cost of one resource read, alone and in a batch of 10 (Terraform's
// default parallelism). ns/root is what one resource read costs on the host.
func BenchmarkReadScript500(b *testing.B) {
	root := benchRoot(b)
	for _, n := range []int{1, 10} {
		roots := []string{root}
		for i := 1; i < n; i++ { // distinct copies: a batch never holds a root twice
			roots = append(roots, fmt.Sprintf("%s-%d", root, i))
			if out, err := exec.Command("cp", "-a", root, roots[i]).CombinedOutput(); err != nil {
				b.Fatalf("%v %s", err, out)
			}
		}
		script := readScript(roots, nil)
		b.Run(fmt.Sprintf("roots=%d", n), func(b *testing.B) {
			runner := &LocalRunner{}
			var out int
			for b.Loop() {
				res, err := runner.Run(context.Background(), "read", script, nil)
				if err != nil {
					b.Fatal(err)
				}
				out = len(res.Stdout)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/root")
			b.ReportMetric(float64(out)/float64(n), "stdout-bytes/root")
			b.ReportMetric(float64(len(script))/float64(n), "script-bytes/root")
		})
	}
}

// BenchmarkParseRead parses the read command's output in the provider.
func BenchmarkParseRead(b *testing.B) {
	root := benchRoot(b)
	res, err := (&LocalRunner{}).Run(context.Background(), "read", readScript([]string{root}, nil), nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := parseRead(res.Stdout, []string{root}, false); err != nil {
			b.Fatal(err)
		}
	}
}
