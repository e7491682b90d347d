package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SSHConfigHost is an OpenSSH client config Host block that reaches this sshd as root
// under alias. Extra lines come first, so they win (the first value obtained does).
func (s *SSHD) SSHConfigHost(alias string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Host %s\n", alias)
	for _, line := range extra {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	fmt.Fprintf(&b, "  HostName 127.0.0.1\n  Port %d\n  User root\n  IdentityFile %s\n  UserKnownHostsFile %s\n", s.Port, s.ClientKey, s.KnownHosts)
	return b.String()
}

// RecordingProxyCommand is a ProxyCommand (with its %h:%p) that appends its pid to the
// file pids, then carries the connection with OpenSSH's own client (ssh -W) through
// this sshd.
func (s *SSHD) RecordingProxyCommand(t TB) (command, pids string) {
	t.Helper()
	need(t, "ssh")
	dir := t.TempDir()
	script, pids := filepath.Join(dir, "proxy"), filepath.Join(dir, "pids")
	writeFile(t, script, fmt.Sprintf("#!/bin/sh\necho $$ >> '%s'\nexec ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile='%s' -i '%s' -p %d root@127.0.0.1 -W \"$1\"\n",
		pids, s.KnownHosts, s.ClientKey, s.Port), 0o755)
	return script + " %h:%p", pids
}

// RecordedPids are the pids a RecordingProxyCommand wrote to pids.
func RecordedPids(pids string) []int {
	b, _ := os.ReadFile(pids)
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}
