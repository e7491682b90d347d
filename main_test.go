package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// savingRoots records when the roots were saved.
type savingRoots struct{ saved time.Time }

func (r *savingRoots) Save() { r.saved = time.Now() }

// With four hosts behind ProxyCommands that ignore TERM, shutdown saves the remembered
// roots before anything waits, and is over well inside the two seconds the CLI grants.
func TestShutdownSavesRootsBeforeClosingProxyCommands(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	testenv.CloudCLIs(t) // busybox nc
	var text string
	for i := range 4 {
		text += fmt.Sprintf("Host shop%d\n  HostName 127.0.0.1\n  ProxyCommand sh -c 'trap \"\" TERM; busybox nc 127.0.0.1 %d; sleep 30'\n", i, s.Port)
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := remote.LoadSSHConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := remote.NewPool()
	for i := range 4 {
		c := remote.Config{Host: fmt.Sprintf("shop%d", i), Port: s.Port, User: "root", PrivateKeyFile: s.ClientKey,
			KnownHostsFile: s.KnownHosts, ConnectTimeout: time.Minute}
		if err := remote.ApplySSHConfig(&c, f, remote.Written{Port: true, PrivateKey: true, KnownHosts: true}, "me"); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Get(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	roots := &savingRoots{}
	started := time.Now()
	shutdown(pool, roots)
	if roots.saved.IsZero() || roots.saved.Sub(started) > 100*time.Millisecond {
		t.Errorf("the roots were saved %s after shutdown began, after waiting for ProxyCommands", roots.saved.Sub(started))
	}
	if took := time.Since(started); took > 1800*time.Millisecond {
		t.Errorf("shutdown took %s: the CLI kills the provider after 2s", took)
	}
}
