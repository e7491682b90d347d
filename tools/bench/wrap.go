package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// wrapProvider runs the real provider with this process's stdio and environment, then
// records its peak RSS (KiB) for the report.
func wrapProvider() int {
	cmd := exec.Command(os.Getenv(realEnv), os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		return 1
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if path := os.Getenv(rssEnv); path != "" {
			_ = os.WriteFile(path, []byte(fmt.Sprint(ru.Maxrss)), 0o600)
		}
	}
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}
