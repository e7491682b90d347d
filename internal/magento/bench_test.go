package magento

import (
	"context"
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
// the host-side cost of one resource read.
func BenchmarkReadScript500(b *testing.B) {
	root := benchRoot(b)
	runner := &LocalRunner{}
	var out int
	for b.Loop() {
		res, err := runner.Run(context.Background(), "read", readScript([]string{root}, nil), nil)
		if err != nil {
			b.Fatal(err)
		}
		out = len(res.Stdout)
	}
	b.ReportMetric(float64(out), "stdout-bytes")
	b.ReportMetric(float64(len(readScript([]string{root}, nil))), "script-bytes")
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
