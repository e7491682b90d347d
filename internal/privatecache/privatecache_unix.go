//go:build unix

package privatecache

import (
	"os"
	"syscall"
)

// modeBitsMatter: permission bits say who may enter or write a directory.
const modeBitsMatter = true

// foreignOwner says whether fi belongs to a user other than the current one, and which;
// an owner that cannot be read counts as another user's.
func foreignOwner(fi os.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, true
	}
	return st.Uid, int(st.Uid) != os.Getuid()
}

// openNoFollow opens file for reading, refusing a link (O_NOFOLLOW) and never waiting
// on a FIFO (O_NONBLOCK; Read then refuses it as not a regular file).
func openNoFollow(file string) (*os.File, error) {
	return os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
