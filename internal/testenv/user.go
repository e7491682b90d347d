package testenv

import (
	"os/user"
	"strings"
)

// TestUser is the unprivileged account the rig logs in as for password and run_as
// tests. It is created once per machine; its password is reset on every call.
const TestUser = "tfmagento"

// EnsureUser creates TestUser (when missing) and sets its password.
func EnsureUser(t TB, password string) {
	t.Helper()
	if _, err := user.Lookup(TestUser); err != nil {
		need(t, "useradd")
		run(t, nil, "", "useradd", "--create-home", "--shell", "/bin/sh", TestUser)
	}
	cmd := TestUser + ":" + password
	if strings.ContainsAny(cmd, "\n") {
		t.Fatalf("password must be one line")
	}
	runStdin(t, cmd+"\n", "chpasswd")
}
