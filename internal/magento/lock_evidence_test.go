package magento

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// hiddenSystem runs each command in a mount namespace where the host cannot tell one
// process or machine from another: /proc is empty (a chroot, BusyBox without procfs),
// and, with noMachineID, /etc/machine-id is empty too (a container).
type hiddenSystem struct {
	LocalRunner
	noMachineID bool
}

func (h hiddenSystem) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	hide := "mount -t tmpfs none /proc"
	if h.noMachineID {
		hide += " && mount --bind /dev/null /etc/machine-id"
	}
	wrapped := fmt.Sprintf("exec unshare -m --propagation private sh -c '%s && exec sh -c \"$0\"' %s", hide, shell.Quote(cmd))
	return h.LocalRunner.Run(ctx, label, wrapped, stdin)
}

// A holder is dead only on evidence. Without /proc (no boot id) or without a machine id,
// whether a holder runs cannot be told: its lock is held (never taken over, so two
// applies never both run Composer), and the error says how to clear it. Without a lock,
// such a host applies as usual.
func TestLockWithoutEvidenceIsHeld(t *testing.T) {
	if out, err := (&LocalRunner{}).Run(context.Background(), "probe", "unshare -m sh -c 'mount -t tmpfs none /proc'", nil); err != nil {
		t.Skipf("no mount namespaces here: %v %s", err, out.Stderr)
	}
	boot, machine, pidns := thisSystem(t)
	host := thisHost(t)
	for _, tc := range []struct {
		name        string
		noMachineID bool
		holder      string
	}{
		{"no /proc, a holder of this boot", false, fmt.Sprintf("999999999 %s 2026-11-25T10:00:00Z %s - %s %s", host, boot, machine, pidns)},
		{"no machine id, a replica's holder of another boot", true, fmt.Sprintf("4242 %s 2026-11-25T10:00:00Z 00000000-0000-4000-8000-000000000000 - - %s", host, pidns)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
			p := params(root).ChangeParams
			p.Target = "2.4.7"
			before := testenv.Digest(t, root, guarded...)
			lock := writeLock(t, root, tc.holder)
			_, err := Change(context.Background(), hiddenSystem{noMachineID: tc.noMachineID}, e, p)
			if err == nil || !strings.Contains(err.Error(), "cannot be told here") || !strings.Contains(err.Error(), "rm -rf '"+lock+"'") || !strings.Contains(err.Error(), "Nothing was changed") {
				t.Fatalf("want the lock held, with how to clear it: %v", err)
			}
			expectRefused(t, root, before, lock, tc.holder+"\n")
			if err := os.RemoveAll(lock); err != nil {
				t.Fatal(err)
			}
			res, err := Change(context.Background(), hiddenSystem{noMachineID: tc.noMachineID}, e, p)
			if err != nil || res.Installed != "2.4.7" {
				t.Fatalf("without a lock the apply runs: %+v %v", res, err)
			}
			if _, err := os.Stat(filepath.Join(root, "var", lockName)); !os.IsNotExist(err) {
				t.Fatalf("the lock was not released: %v", err)
			}
		})
	}
}
