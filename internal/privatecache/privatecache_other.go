//go:build !unix

package privatecache

import (
	"fmt"
	"os"
)

// modeBitsMatter: Go makes a Windows directory's mode up (0777, or 0555 read-only);
// its ACL, which keeps the user's cache directory private, is not read here.
const modeBitsMatter = false

// foreignOwner: Windows keeps the user's cache directory (LocalAppData) private by its
// ACL; there is no owner to compare here.
func foreignOwner(os.FileInfo) (uint32, bool) { return 0, false }

// openNoFollow refuses a link rather than follow it.
func openNoFollow(file string) (*os.File, error) {
	fi, err := os.Lstat(file)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is a link", file)
	}
	return os.Open(file)
}
