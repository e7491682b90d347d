//go:build unix

package provider

import (
	"os"
	"syscall"
)

// modeBitsMatter: permission bits say who may enter or write a directory.
const modeBitsMatter = true

// foreignOwner is the owner of fi when it is not the current user.
func foreignOwner(fi os.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, true
	}
	return st.Uid, int(st.Uid) != os.Getuid()
}

func openNoFollow(file string) (*os.File, error) {
	return os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
