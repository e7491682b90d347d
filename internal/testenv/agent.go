package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// StartAgent runs a real ssh-agent holding the given private key files and returns its
// socket path; the agent stops at cleanup.
func StartAgent(t TB, keys ...string) string {
	t.Helper()
	need(t, "ssh-agent", "ssh-add")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting ssh-agent: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
	}
	for _, k := range keys {
		run(t, []string{"SSH_AUTH_SOCK=" + sock}, "", "ssh-add", "-q", k)
	}
	return sock
}

// AddToAgent unlocks an encrypted private key file into the agent at sock, as ssh-add
// does when the user types the passphrase (given here through SSH_ASKPASS).
func AddToAgent(t TB, sock, key, passphrase string) {
	t.Helper()
	askpass := filepath.Join(t.TempDir(), "askpass")
	writeFile(t, askpass, "#!/bin/sh\nprintf '%s\\n' \"$TESTENV_PASSPHRASE\"\n", 0o700)
	run(t, []string{"SSH_AUTH_SOCK=" + sock, "SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=none",
		"TESTENV_PASSPHRASE=" + passphrase}, "", "ssh-add", "-q", key)
}
