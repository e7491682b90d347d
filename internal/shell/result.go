package shell

import (
	"fmt"
	"strings"
)

// Result is what a finished remote command printed.
type Result struct {
	Stdout []byte
	Stderr []byte
}

// ExitError is a remote command that ran and exited non-zero (or died by a signal).
// It carries what the command printed so callers can show the cause.
type ExitError struct {
	Command    string // a short label, never a command line holding secrets
	ExitStatus int
	Signal     string
	Stdout     []byte
	Stderr     []byte
}

func (e *ExitError) Error() string {
	status := fmt.Sprintf("exit status %d", e.ExitStatus)
	if e.Signal != "" {
		status = "killed by signal " + e.Signal
	}
	msg := fmt.Sprintf("remote command %s failed: %s", e.Command, status)
	if tail := LastLines(e.Stderr, 5); tail != "" {
		msg += ": " + tail
	} else if tail := LastLines(e.Stdout, 3); tail != "" {
		msg += ": " + tail
	}
	return msg
}

// LastLines returns the last n non-empty lines of out, joined by newlines.
func LastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var kept []string
	for i := len(lines) - 1; i >= 0 && len(kept) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			kept = append([]string{l}, kept...)
		}
	}
	return strings.Join(kept, "\n")
}
