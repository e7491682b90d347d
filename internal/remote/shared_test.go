package remote

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

func TestRunSharedUsesOneSessionForManyCommands(t *testing.T) {
	h, s := pooledHost(t)
	before := strings.Count(s.Log(), "Starting session")
	for i := range 5 {
		res, err := h.RunShared(context.Background(), "echo", "printf 'line one\\n'; echo \"$((1+"+string(rune('0'+i))+"))\"")
		if err != nil {
			t.Fatal(err)
		}
		if want := "line one\n" + string(rune('1'+i)) + "\n"; string(res.Stdout) != want {
			t.Fatalf("command %d printed %q, want %q", i, res.Stdout, want)
		}
	}
	// Output without a final newline, a failing status, and nothing on stdin.
	res, err := h.RunShared(context.Background(), "fail", "printf partial; cat; exit 3")
	var exit *shell.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus != 3 || string(res.Stdout) != "partial" {
		t.Fatalf("want exit 3 with %q, got %q, %v", "partial", res.Stdout, err)
	}
	if n := strings.Count(s.Log(), "Starting session") - before; n != 1 {
		t.Fatalf("6 shared commands opened %d sessions, want 1", n)
	}
}

func TestRunSharedRecoversFromCancelAndLostConnections(t *testing.T) {
	h, _ := pooledHost(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := filepath.Join(t.TempDir(), "running")
	go func() { waitForFileOrGiveUp(running); cancel() }() // cancelled mid-command, whatever the machine's speed
	if _, err := h.RunShared(ctx, "slow", "touch "+shell.Quote(running)+"; sleep 30"); !errors.Is(err, context.Canceled) {
		t.Fatalf("want the cancellation, got %v", err)
	}
	if res, err := h.RunShared(context.Background(), "after cancel", "echo fine"); err != nil || string(res.Stdout) != "fine\n" {
		t.Fatalf("after a cancel: %q, %v", res.Stdout, err)
	}
	h.conns[0].client.markClosed(errors.New("simulated drop"))
	if res, err := h.RunShared(context.Background(), "after drop", "echo again"); err != nil || string(res.Stdout) != "again\n" {
		t.Fatalf("after a dropped connection: %q, %v", res.Stdout, err)
	}
}

// A cancel breaks the shared shell (under the shell's lock) while another read asks
// the host for the connection's shell (under the host's lock): the broken flag is read
// and written by both, so `go test -race` catches an unguarded one.
func TestSharedShellBrokenFlagIsRaceFree(t *testing.T) {
	h, _ := pooledHost(t)
	if _, err := h.RunShared(context.Background(), "start", "true"); err != nil {
		t.Fatal(err)
	}
	cn, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer h.release(cn)
	first, err := h.sharedShellOf(cn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := filepath.Join(t.TempDir(), "running")
	ran := make(chan error, 1)
	go func() {
		_, err := first.run(ctx, "slow", "touch "+shell.Quote(running)+"; sleep 30")
		ran <- err
	}()
	go func() { waitForFileOrGiveUp(running); cancel() }()
	for { // asks, as a concurrent read does, until the cancel has broken the shell
		sh, err := h.sharedShellOf(cn)
		if err != nil {
			t.Fatal(err)
		}
		if sh != first {
			break
		}
		runtime.Gosched()
	}
	if err := <-ran; !errors.Is(err, context.Canceled) {
		t.Fatalf("want the cancellation, got %v", err)
	}
}
