package magento

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Many applies on one host wait for its slots together (Terraform's -parallelism 10,
// and no turn in the provider): never more Composers run at once than the limit, as a
// Composer that records every run beside the others shows, and every root upgrades.
func TestManyWaitersNeverRunMoreComposersThanTheSlots(t *testing.T) {
	template, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(template).ChangeParams
	running, log := t.TempDir(), filepath.Join(t.TempDir(), "log")
	e.Composer = fakeComposer(t, fmt.Sprintf(`[ "$1" = require ] || exec composer "$@"
touch %[1]s/$$; ls %[1]s | wc -l >> %[2]s; sleep 0.3
composer "$@"; rc=$?; rm -f %[1]s/$$; exit $rc`, running, log))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		root := filepath.Join(t.TempDir(), fmt.Sprintf("shop%d", i))
		if out, err := exec.Command("cp", "-a", template, root).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		q := p
		q.Root, q.BackupDir, q.Target, q.HostSlots = root, StateDir(p.StateBase, root), "2.4.7", 2
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, err := Change(context.Background(), &LocalRunner{}, e, q); err != nil || res.Installed != "2.4.7" {
				errs <- fmt.Errorf("%s: %+v %v", root, res, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	counts := strings.Fields(string(raw))
	if len(counts) != 8 {
		t.Fatalf("want 8 Composer runs, got %q", counts)
	}
	for _, c := range counts {
		if n, _ := strconv.Atoi(c); n > 2 {
			t.Fatalf("%d Composers ran at once with 2 slots: %q", n, counts)
		}
	}
}
