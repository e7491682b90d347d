package remote

import (
	"context"
	"testing"
	"time"
)

// A ProxyCommand that writes one stderr line longer than 64 KiB (bufio.Scanner's limit)
// keeps running: its stderr is read to the end, so a later write never meets a closed
// pipe.
func TestProxyCommandSurvivesALongStderrLine(t *testing.T) {
	c := Config{Host: "shop", User: "u", ProxyCommand: Setting{Value: `sh -c 'printf "%070000d" 0 >&2; sleep 0.5; echo still here >&2; sleep 5'`, Source: "test"}}
	p, err := startProxyCommand(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	select {
	case <-p.exited:
		t.Errorf("the ProxyCommand died after a long stderr line: %s", p.status)
	case <-time.After(3 * time.Second):
	}
}
