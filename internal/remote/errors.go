package remote

import (
	"fmt"
	"strings"
)

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

// HostKeyError is a host key that could not be trusted: unknown to known_hosts,
// different from the recorded or pinned key. It names the offered key so an operator
// can compare it out of band and add the line.
type HostKeyError struct {
	Address        string // host:port as dialled
	KeyType        string
	Fingerprint    string // SHA256:...
	KnownHostsLine string
	Changed        bool // a different key is recorded: possible man-in-the-middle
	Source         string
}

func (e *HostKeyError) Error() string {
	if e.Changed {
		return fmt.Sprintf("host key for %s does not match %s: the server offered %s %s. "+
			"If the host was rebuilt, verify the new key out of band and replace its entry with: %s",
			e.Address, e.Source, e.KeyType, e.Fingerprint, e.KnownHostsLine)
	}
	return fmt.Sprintf("host key for %s is not in %s: the server offered %s %s. "+
		"Verify it out of band, then add this line to the known_hosts file (or set host_key): %s",
		e.Address, e.Source, e.KeyType, e.Fingerprint, e.KnownHostsLine)
}
