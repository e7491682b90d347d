package magento

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// asUserHidepid runs the script as uid/gid in a mount namespace whose /proc is mounted
// hidepid=2 (as many shared hosts do: Plesk, cPanel, hardened distributions).
type asUserHidepid struct {
	LocalRunner
	uid    int
	hidden bool
}

func (a asUserHidepid) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	opt := "hidepid=2"
	if !a.hidden {
		opt = "hidepid=0"
	}
	wrapped := fmt.Sprintf("exec unshare -m --propagation private sh -c 'mount -t proc -o %s proc /proc && exec setpriv --reuid=%d --regid=%d --clear-groups sh -c \"$0\"' %s",
		opt, a.uid, a.uid, shell.Quote(cmd))
	return a.LocalRunner.Run(ctx, label, wrapped, stdin)
}

// hidepid hides other users' processes only: a lock left by an apply of the same user
// that was killed (kill -9, OOM) on this boot is taken over, whether /proc is mounted
// hidepid=2 or not.
func TestDeadHolderOfTheSameUserIsTakenOverUnderHidepid(t *testing.T) {
	testenv.EnsureUser(t)
	boot, machine, pidns := thisSystem(t)
	host := thisHost(t)
	for _, hidden := range []bool{false, true} {
		t.Run(fmt.Sprintf("hidepid=%v", hidden), func(t *testing.T) {
			root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
			e.PHP = "php"
			e.Composer = fakeComposer(t, "exit 1") // not reached when the lock is refused
			p := params(root).ChangeParams
			p.Target = "2.4.7"
			// a dead process of this boot: PID and start time recorded, then it exits
			cmd := exec.Command("true")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			start := startTime(t, pid)
			_ = cmd.Wait()
			lock := writeLock(t, root, fmt.Sprintf("%d %s 2026-11-25T10:00:00Z %s %s %s %s", pid, host, boot, start, machine, pidns))
			for d := root; d != os.TempDir() && d != "/"; d = filepath.Dir(d) { // t.TempDir's parents are private to root
				_ = os.Chmod(d, 0o755)
			}
			uid, _ := testenv.IDs(t, testenv.TestUser)
			if out, err := exec.Command("chown", "-R", testenv.TestUser+":"+testenv.TestUser, root).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			_ = os.Chmod(lock, 0o700)
			// The applying user's private state directory is its own.
			if err := os.MkdirAll(p.StateBase, 0o700); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("chown", testenv.TestUser+":"+testenv.TestUser, p.StateBase).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			res, err := Change(context.Background(), asUserHidepid{uid: uid, hidden: hidden}, e, p)
			// hidepid hides other users' processes only: a dead holder of this user is dead.
			if err == nil || !strings.Contains(err.Error(), "composer require") || len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "took over the lock") {
				t.Errorf("hidepid=%v: a dead holder's lock must be taken over (then composer, a stub, fails): %+v, %v", hidden, res, err)
			}
		})
	}
}
