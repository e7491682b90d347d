package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TestUser is the unprivileged account the rig logs in as for password and run_as
// tests. It is created once per machine.
const TestUser = "tfmagento"

// passwordFile keeps the test user's random password, readable by root only, so test
// binaries running in parallel all agree on it.
var passwordFile = filepath.Join(os.TempDir(), "tfmagento-test-user.password")

// EnsureUser creates TestUser (when missing) with a random password and returns it.
func EnsureUser(t TB) string {
	t.Helper()
	password := sharedPassword(t)
	if _, err := user.Lookup(TestUser); err != nil {
		need(t, "useradd")
		if out, err := runErr(nil, "", "useradd", "--create-home", "--shell", "/bin/sh", TestUser); err != nil && !strings.Contains(out, "already exists") {
			t.Fatalf("%v", err)
		}
	}
	runStdin(t, TestUser+":"+password+"\n", "chpasswd")
	return password
}

// sharedPassword creates the password file once (O_EXCL decides who writes it) and
// reads it back.
func sharedPassword(t TB) string {
	t.Helper()
	if f, err := os.OpenFile(passwordFile, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		_, werr := f.WriteString("pw-" + hex.EncodeToString(b))
		if cerr := f.Close(); werr != nil || cerr != nil {
			t.Fatalf("writing %s: %v", passwordFile, errors.Join(werr, cerr))
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(passwordFile)
		if err == nil && len(b) > 0 {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("reading %s: %v", passwordFile, err)
		}
	}
}

// WebUser owns the shop's files in tests of run_as through sudo: the SSH user
// (TestUser, not root) may run commands as WebUser, and nothing else, without a
// password, as a shop's sudoers rule allows its deploy user.
const WebUser = "tfmagento-web"

// sudoersFile is the rig's rule: TestUser may run anything as WebUser.
const sudoersFile = "/etc/sudoers.d/tfmagento-test"

// EnsureWebUser creates WebUser and the sudoers rule (when missing), and TestUser with
// its password, which it returns.
func EnsureWebUser(t TB) string {
	t.Helper()
	password := EnsureUser(t)
	if _, err := user.Lookup(WebUser); err != nil {
		if out, err := runErr(nil, "", "useradd", "--create-home", "--shell", "/bin/sh", WebUser); err != nil && !strings.Contains(out, "already exists") {
			t.Fatalf("%v", err)
		}
	}
	rule := TestUser + " ALL=(" + WebUser + ") NOPASSWD: ALL\n"
	if b, err := os.ReadFile(sudoersFile); err != nil || string(b) != rule {
		tmp := sudoersFile + ".tmp"
		writeFile(t, tmp, rule, 0o440)
		if err := os.Rename(tmp, sudoersFile); err != nil {
			t.Fatalf("%v", err)
		}
	}
	return password
}

// IDs returns the numeric user and group ids of the account name.
func IDs(t TB, name string) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	uid, errU := strconv.Atoi(u.Uid)
	gid, errG := strconv.Atoi(u.Gid)
	if errU != nil || errG != nil {
		t.Fatalf("account %s has ids %q and %q", name, u.Uid, u.Gid)
	}
	return uid, gid
}

// HolderLine is a lock holder line for pid on this machine, as the apply script writes
// it: PID, host, start, boot id, start ticks ("-"), machine id, PID namespace.
func HolderLine(t TB, pid int, started string) string {
	t.Helper()
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil || strings.TrimSpace(string(b)) == "" {
			return "-"
		}
		return strings.TrimSpace(string(b))
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatalf("hostname: %v", err)
	}
	ns, _ := os.Readlink("/proc/self/ns/pid")
	ns = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, ns)
	if ns == "" {
		ns = "-"
	}
	return fmt.Sprintf("%d %s %s %s - %s %s", pid, host, started, read("/proc/sys/kernel/random/boot_id"), read("/etc/machine-id"), ns)
}
