package magento

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// dialAndCancelOnFile connects to s and returns a context that is cancelled, as
// Terraform does on Ctrl-C, once file exists (or after 30 s).
func dialAndCancelOnFile(t *testing.T, s *testenv.SSHD, file string) (*remote.Client, context.Context) {
	t.Helper()
	cl, err := remote.Dial(context.Background(), remote.Config{Host: "127.0.0.1", Port: s.Port, User: "root",
		PrivateKeyFile: s.ClientKey, KnownHostsFile: s.KnownHosts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, err := os.Stat(file); err == nil {
				break
			}
		}
		cancel()
	}()
	return cl, ctx
}

// Ctrl-C or a timeout in the middle of composer: the watchdog stops composer, the
// script restores the backup, releases the lock, and the report still arrives.
func TestChangeInterruptedDuringComposer(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guarded...)
	wrote := filepath.Join(t.TempDir(), "wrote")
	e.Composer = fakeComposer(t, `[ "$1" = require ] || exec composer "$@"; composer "$@"; touch `+wrote+`; exec sleep 3603.5`)
	cl, ctx := dialAndCancelOnFile(t, s, wrote)
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	_, err := Change(ctx, cl, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "interrupted" || !ce.Restored || !errors.Is(err, context.Canceled) {
		t.Fatalf("want an interrupted, restored ChangeError wrapping the cancel, got %v", err)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("not restored:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(root, "var", lockName)); !os.IsNotExist(err) {
		t.Fatal("the lock was not released")
	}
	if exec.Command("pgrep", "-f", "^sleep 3603.5$").Run() == nil {
		t.Fatal("composer (its sleep) is still running")
	}
}

// Interrupted before composer (here in setup:backup): nothing was changed, and the
// error says so instead of asking for a restore by hand.
func TestChangeInterruptedBeforeComposerSaysNothingChanged(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guarded...)
	started := filepath.Join(t.TempDir(), "started")
	e.PHP = fakeComposer(t, `touch `+started+`; exec sleep 3604.5`) // php bin/magento setup:backup hangs
	cl, ctx := dialAndCancelOnFile(t, s, started)
	p := params(root).ChangeParams
	p.Target, p.SetupBackup = "2.4.7", []string{"db"}
	_, err := Change(ctx, cl, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "interrupted" || ce.Restored || !ce.Unchanged || ce.Archive == "" {
		t.Fatalf("want an interrupted ChangeError that changed nothing, got %#v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "Nothing was changed; the backup is "+ce.Archive) || strings.Contains(msg, "RESTORE FAILED") {
		t.Fatalf("the error must say nothing was changed: %s", msg)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
}

// run_as through sudo that wants a password fails the read with the fix, not a bare
// exit status (reads run in the shared shell, where sudo's complaint arrives on stdout).
func TestReadAsUserWithoutPasswordlessSudo(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	password := testenv.EnsureUser(t)
	pool := remote.NewPool()
	defer pool.Close()
	h, err := pool.Get(context.Background(), remote.Config{Host: "127.0.0.1", Port: s.Port, User: testenv.TestUser,
		Password: password, KnownHostsFile: s.KnownHosts})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Read(context.Background(), RunAs(h, "root"), "/var/www/magento", nil)
	if err == nil || !strings.Contains(err.Error(), "passwordless sudo rule") {
		t.Fatalf("want the sudo fix in the error, got %v", err)
	}
}
