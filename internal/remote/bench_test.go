package remote

import (
	"context"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// pooledHost is a host from a fresh pool on a fresh sshd.
func pooledHost(tb testing.TB) (*Host, *testenv.SSHD) {
	tb.Helper()
	s := testenv.StartSSHD(tb, testenv.SSHDOptions{})
	pool := NewPool()
	tb.Cleanup(pool.Close)
	h, err := pool.Get(context.Background(), baseConfig(s))
	if err != nil {
		tb.Fatal(err)
	}
	return h, s
}

// BenchmarkRunOverSharedConnection is the round trip of one command on a pooled
// connection: session open, login shell (and its rc files), watchdog, exit.
func BenchmarkRunOverSharedConnection(b *testing.B) {
	h, _ := pooledHost(b)
	for b.Loop() {
		if _, err := h.Run(context.Background(), "true", "true", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunShared is the same command in the connection's shared shell: no session
// start-up, no login shell, no rc files.
func BenchmarkRunShared(b *testing.B) {
	h, _ := pooledHost(b)
	for b.Loop() {
		if _, err := h.RunShared(context.Background(), "true", "true"); err != nil {
			b.Fatal(err)
		}
	}
}
