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

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// dialAndCancelOnFile connects to s and returns a context that is cancelled, as
// Terraform does on Ctrl-C, once file exists (or after 30 s).
func dialAndCancelOnFile(t *testing.T, s *testenv.SSHD, file string) (*remote.Client, context.Context) {
	t.Helper()
	return dialAndCancelWhen(t, s, func() bool { _, err := os.Stat(file); return err == nil })
}

// dialAndCancelWhen connects to s as root and returns a context that is cancelled once
// ready says so (or after a minute).
func dialAndCancelWhen(t *testing.T, s *testenv.SSHD, ready func() bool) (*remote.Client, context.Context) {
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
		for deadline := time.Now().Add(time.Minute); !ready() && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
	}()
	return cl, ctx
}

// dialAndCancelOnHit is dialAndCancelOnFile for a shim on the host that writes hit and
// then waits for goOn: goOn is written half a second after the cancel, so the TERM
// arrives while the shim waits.
func dialAndCancelOnHit(t *testing.T, s *testenv.SSHD, hit, goOn string) (*remote.Client, context.Context) {
	t.Helper()
	cl, ctx := dialAndCancelOnFile(t, s, hit)
	go func() {
		<-ctx.Done()
		time.Sleep(500 * time.Millisecond) // let the TERM arrive while the shim waits
		_ = os.WriteFile(goOn, nil, 0o600)
	}()
	return cl, ctx
}

// Ctrl-C or a timeout in the middle of composer: the watchdog stops composer, the
// script restores the backup, releases the lock, and the report still arrives.
func TestChangeInterruptedDuringComposerRestores(t *testing.T) {
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

// Interrupted before composer (here in setup:backup): the files were not changed, and
// the error says so instead of asking for a restore by hand (but not "nothing").
func TestChangeInterruptedInSetupBackupLeavesTheFiles(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guarded...)
	started := filepath.Join(t.TempDir(), "started")
	e.PHP = fakeComposer(t, `[ "$1" = bin/magento ] || exec php "$@"; touch `+started+`; exec sleep 3604.5`) // setup:backup hangs
	cl, ctx := dialAndCancelOnFile(t, s, started)
	p := params(root).ChangeParams
	p.Target, p.SetupBackup = "2.4.7", []string{"db"}
	_, err := Change(ctx, cl, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "interrupted" || ce.Restored || ce.Unchanged || !ce.FilesUnchanged || ce.Archive == "" {
		t.Fatalf("want an interrupted ChangeError that left the files alone, got %#v", err)
	}
	// setup:backup ran (and may have written its own backups): not "nothing".
	if msg := err.Error(); !strings.Contains(msg, "composer.json, composer.lock and the tool were not changed; the backup is "+ce.Archive) ||
		strings.Contains(msg, "Nothing was changed") || strings.Contains(msg, "RESTORE FAILED") {
		t.Fatalf("the error must say the files were not changed: %s", msg)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
}

// run_as through sudo that wants a password fails the read with the fix, not a bare
// exit status (reads run in the shared shell, where sudo's complaint arrives on stdout).
func TestReadAsUserWithoutPasswordlessSudoNamesTheFix(t *testing.T) {
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

// withPath runs every command with dir first on PATH (shims for host tools).
type withPath struct {
	Runner
	dir string
}

func (w withPath) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	return w.Runner.Run(ctx, label, "PATH="+shell.Quote(w.dir)+":$PATH; export PATH\n"+cmd, stdin)
}

// Once files may have changed, Ctrl-C cannot cut the restore short: interrupted while
// the restore extracts, or while preserve_paths are copied into the new version, the
// apply ends with every file as before and says it restored them.
func TestChangeRestoreCannotBeCutShort(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	realTar, err := exec.LookPath("tar")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		composer string // composer's behaviour for require
		extract  string // which extraction the cancel hits: "restore" (whole archive) or "copy" (one member)
	}{
		{"during the restore", `composer "$@"; exit 1`, "restore"},
		{"during the preserve_paths copy", `exec composer "$@"`, "copy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
			custom := filepath.Join(root, "vendor/magento/data-migration-tool/etc/opensource-to-opensource/1.9.4.5/map.xml")
			if err := os.WriteFile(custom, []byte("<map custom=\"yes\"/>\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := testenv.Digest(t, root, guarded...)
			e.Composer = fakeComposer(t, `[ "$1" = require ] || exec composer "$@"; `+tc.composer)
			// tar pauses in the chosen extraction until the test has cancelled.
			shims, sync := t.TempDir(), t.TempDir()
			hit, goOn := filepath.Join(sync, "hit"), filepath.Join(sync, "go-on")
			shim := `#!/bin/sh
kind=copy; [ $# -eq 4 ] && kind=restore
if [ "$1" = -xzof ] && [ "$kind" = ` + tc.extract + ` ]; then
  touch ` + hit + `
  i=0; while [ ! -e ` + goOn + ` ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
fi
exec ` + realTar + ` "$@"
`
			if err := os.WriteFile(filepath.Join(shims, "tar"), []byte(shim), 0o755); err != nil { //nolint:gosec // a test shim
				t.Fatal(err)
			}
			cl, ctx := dialAndCancelOnHit(t, s, hit, goOn)
			p := params(root).ChangeParams
			p.Target, p.PreservePaths = "2.4.7", []string{"etc/opensource-to-opensource/1.9.4.5/map.xml"}
			_, err = Change(ctx, withPath{cl, shims}, e, p)
			var ce *ChangeError
			if !errors.As(err, &ce) || !ce.Restored || ce.Unchanged || !strings.Contains(err.Error(), "were restored from "+ce.Archive) {
				t.Fatalf("want a restored apply, got %v", err)
			}
			if !exists(hit) {
				t.Fatal("the cancel never hit the extraction")
			}
			if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
				t.Fatalf("not byte for byte as before:\n%s", diff)
			}
			if exists(filepath.Join(root, "var", lockName)) {
				t.Fatal("the lock was not released after the restore")
			}
		})
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Cancelled while a finished upgrade prunes old archives: pruning is not cut short,
// and the apply reports the upgrade it made instead of "nothing was changed".
func TestChangeInterruptedWhilePruningReportsTheUpgrade(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	realRm, err := exec.LookPath("rm")
	if err != nil {
		t.Fatal(err)
	}
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	p.Keep = 1
	old := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20260101T000000Z-1.tar.gz")
	plantedArchive(t, old)
	if err := os.Chmod(p.BackupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// rm pauses in the prune (rm -f -- ARCHIVE) until the test has cancelled.
	shims, sync := t.TempDir(), t.TempDir()
	hit, goOn := filepath.Join(sync, "hit"), filepath.Join(sync, "go-on")
	shim := "#!/bin/sh\nif [ \"$1\" = -f ] && [ \"$2\" = -- ]; then touch " + hit + "; i=0; while [ ! -e " + goOn +
		" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; fi\nexec " + realRm + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shims, "rm"), []byte(shim), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	cl, ctx := dialAndCancelOnHit(t, s, hit, goOn)
	p.Target = "2.4.7"
	res, err := Change(ctx, withPath{cl, shims}, e, p)
	if err != nil || res.Installed != "2.4.7" || len(res.Pruned) != 1 || res.Pruned[0] != old {
		t.Fatalf("want the upgrade reported with its pruning, got %+v, %v", res, err)
	}
	if !exists(hit) || composerRequirement(t, root) != "2.4.7" {
		t.Fatal("the cancel never hit the pruning, or the upgrade is not there")
	}
}
