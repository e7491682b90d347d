package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// readableByTheLoginUser lets the rig's login user into the bench's directories (the
// rig makes its temporary ones 0700) and lets sshd read its authorized_keys as that
// user. Other files are left alone: they were written under the usual umask, readable
// by all, except private keys, which must stay the owner's. The shop copies came from
// a readable template and are not walked.
func readableByTheLoginUser(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == "authorized_keys" {
			return os.Chmod(path, 0o644) //nolint:gosec // public keys
		}
		if !d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if mode := info.Mode().Perm(); mode&0o555 != 0o555 {
			if err := os.Chmod(path, mode|0o555); err != nil {
				return err
			}
		}
		if strings.HasSuffix(filepath.Base(filepath.Dir(path)), "shops") {
			return filepath.SkipDir
		}
		return nil
	})
}

// writableByAll empties path and lets anyone append to it (a Composer counter's log).
func writableByAll(path string) error {
	if err := os.WriteFile(path, nil, 0o666); err != nil { //nolint:gosec // the bench's spy log
		return err
	}
	return os.Chmod(path, 0o666) //nolint:gosec // past the umask
}
