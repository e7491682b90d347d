package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A cancelled command gets TERM and may clean up; what it prints meanwhile arrives.
func TestCancelLetsTheCommandCleanUpAndReport(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	cl, err := Dial(context.Background(), baseConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Cancel once the command has set its trap (it leaves a file), however long the
	// session took to start on a loaded machine.
	ready := filepath.Join(t.TempDir(), "trap-set")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			if _, err := os.Stat(ready); err == nil {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	res, err := cl.Run(ctx, "cleanup", `trap 'echo got-term; sleep 0.3; echo cleaned-up; exit 3' TERM; echo started; touch `+shell.Quote(ready)+`; sleep 30 & wait $!`, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want the cancellation error, got %v", err)
	}
	if out := string(res.Stdout); !strings.Contains(out, "started\ngot-term\ncleaned-up\n") {
		t.Fatalf("the command's cleanup output was lost: %q (stderr %q)", out, res.Stderr)
	}
}
