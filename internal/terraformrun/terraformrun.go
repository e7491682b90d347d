// Package terraformrun tells what this provider can learn of the Terraform (or
// OpenTofu) run that started it, its parent process, where /proc shows it: which run it
// is, and whether it plans a destroy.
package terraformrun

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// ID identifies the Terraform run that started this provider: the parent's PID and,
// where /proc tells it, the parent's start time (PIDs are reused).
func ID() string {
	ppid := strconv.Itoa(os.Getppid())
	stat, err := os.ReadFile("/proc/" + ppid + "/stat")
	if err != nil {
		return ppid
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) > 19 {
		return ppid + "@" + fields[19] // starttime, field 22 of stat
	}
	return ppid
}

// Destroying says whether the Terraform run that started this provider plans a destroy
// (terraform destroy, plan -destroy, apply -destroy). Terraform makes a normal plan of
// every resource before a destroy plan (its pre-destroy refresh) and discards it, and
// tells the provider nothing of it; listing releases there would run Composer for a
// plan nobody sees. So the provider reads Terraform's command line where /proc shows
// it (TF_CLI_ARGS and TF_CLI_ARGS_<command> included); elsewhere it cannot tell, and
// answers false.
func Destroying() bool { return destroying() }

var destroying = sync.OnceValue(func() bool {
	ppid := strconv.Itoa(os.Getppid())
	cmdline, err := os.ReadFile("/proc/" + ppid + "/cmdline")
	if err != nil {
		return false
	}
	environ, _ := os.ReadFile("/proc/" + ppid + "/environ")
	return destroyCommand(strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"), strings.Split(string(environ), "\x00"))
})

// destroyCommand reads a Terraform (or OpenTofu) command line and environment: true for
// destroy, and plan or apply with -destroy.
func destroyCommand(argv, environ []string) bool {
	if len(argv) < 2 {
		return false
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var command string
	var args []string
	for i, a := range argv[1:] {
		if !strings.HasPrefix(a, "-") { // global options (-chdir=DIR) come first, in one word
			command, args = a, argv[i+2:]
			break
		}
	}
	args = append(append(strings.Fields(env["TF_CLI_ARGS"]), strings.Fields(env["TF_CLI_ARGS_"+command])...), args...)
	if command == "destroy" {
		return true
	}
	if command != "plan" && command != "apply" {
		return false
	}
	destroy := false
	for _, a := range args {
		switch strings.TrimPrefix(a, "-") {
		case "-destroy", "destroy", "destroy=true", "-destroy=true":
			destroy = true
		case "destroy=false", "-destroy=false":
			destroy = false
		}
	}
	return destroy
}
