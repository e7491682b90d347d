package remote

import (
	"context"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// benchHost is a pooled host on a fresh sshd.
func benchHost(b *testing.B) *Host {
	b.Helper()
	s := testenv.StartSSHD(b, testenv.SSHDOptions{})
	pool := NewPool()
	b.Cleanup(pool.Close)
	h, err := pool.Get(context.Background(), Config{Host: "127.0.0.1", Port: s.Port, User: "root",
		PrivateKeyFile: s.ClientKey, KnownHostsFile: s.KnownHosts})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkRunOverSharedConnection is the round trip of one command on a pooled
// connection: session open, login shell (and its rc files), watchdog, exit.
func BenchmarkRunOverSharedConnection(b *testing.B) {
	h := benchHost(b)
	for b.Loop() {
		if _, err := h.Run(context.Background(), "true", "true", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunShared is the same command in the connection's shared shell: no session
// start-up, no login shell, no rc files.
func BenchmarkRunShared(b *testing.B) {
	h := benchHost(b)
	for b.Loop() {
		if _, err := h.RunShared(context.Background(), "true", "true"); err != nil {
			b.Fatal(err)
		}
	}
}
