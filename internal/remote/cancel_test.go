package remote

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := cl.Run(ctx, "cleanup", `trap 'echo got-term; sleep 0.3; echo cleaned-up; exit 3' TERM; echo started; sleep 30 & wait $!`, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the deadline error, got %v", err)
	}
	if out := string(res.Stdout); !strings.Contains(out, "started\ngot-term\ncleaned-up\n") {
		t.Fatalf("the command's cleanup output was lost: %q (stderr %q)", out, res.Stderr)
	}
}
