// Package testenv builds real test infrastructure: OpenSSH's sshd on loopback, an
// offline Composer repository of Magento and Data Migration Tool releases, and Magento
// roots installed from it by real Composer. It is imported only by tests and the demo.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// TB is the part of testing.TB the rig needs; the demo passes its own.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// run executes a local command and fails the test with its output when it fails.
func run(t TB, env []string, dir, name string, args ...string) string {
	t.Helper()
	out, err := runErr(env, dir, name, args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

func runStdin(t TB, stdin, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func runErr(env []string, dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// need fails with an actionable message when a required program is missing.
func need(t TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s is not installed: run `make deps` (installs openssh-server, php-cli, composer)", p)
		}
	}
}

func writeFile(t TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

func itoa(i int) string { return fmt.Sprint(i) }
