//go:build !unix

package provider

import (
	"fmt"
	"os"
)

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
