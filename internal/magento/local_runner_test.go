package magento

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"syscall"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// LocalRunner runs commands with the local sh, as the remote shell would. Domain tests
// use it to run the real scripts against real files without SSH. Calls counts runs;
// Dir, when set, is where commands start (an SSH session starts in the user's home).
type LocalRunner struct {
	Calls int
	Dir   string
}

func (l *LocalRunner) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	l.Calls++
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Dir = l.Dir
	// A cancel stops the whole process tree, as the remote watchdog does: a grep blocked
	// on a FIFO would otherwise hold the output open.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	res := shell.Result{Stdout: out.Bytes(), Stderr: errOut.Bytes()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return res, &shell.ExitError{Command: label, ExitStatus: exit.ExitCode(), Stdout: res.Stdout, Stderr: res.Stderr}
	}
	return res, err
}
