package magento

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A takeover restores the owed archive and releases nothing yet; then Composer fails and
// this apply's restore succeeds, so the lock is released. The error still carries the
// takeover's "@owed" note: "before removing the lock, ... restore by hand".
func TestAdversarial2OwedNoteAfterOwedRestoreSucceeded(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	archive := filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	interruptedApply(t, root, archive)
	p.Target = "2.4.7"
	e.Composer = fakeComposer(t, `echo "Killed"; exit 137`)
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	t.Logf("error: %v", err)
	_, lockErr := os.Stat(filepath.Join(root, "var", lockName))
	if err != nil && strings.Contains(err.Error(), "restore is owed from") && os.IsNotExist(lockErr) {
		t.Errorf("FINDING: the owed restore was done and the lock is gone, but the error says a restore is owed and to restore by hand before removing the lock")
	}
}
