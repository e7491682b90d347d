package testenv

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// killTree SIGKILLs pid and all its descendants, found through /proc.
func killTree(pid int) {
	for _, child := range children(pid) {
		killTree(child)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// Descendants lists every process below pid (used to check that nothing was left running).
func Descendants(pid int) []int {
	var all []int
	for _, c := range children(pid) {
		all = append(all, c)
		all = append(all, Descendants(c)...)
	}
	return all
}

func children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var kids []int
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and may hold spaces.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) > 1 {
			if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
				kids = append(kids, id)
			}
		}
	}
	return kids
}
