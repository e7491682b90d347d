// Package privatecache keeps the files the provider caches on the operator's machine
// (release lists, remembered roots) where only the user can reach them: in a directory
// nobody else may enter, written to a new file and renamed, never read through a link.
package privatecache

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// dirName is the provider's directory in the user's cache directory.
const dirName = "terraform-provider-magento"

// maxFile bounds what is read of a cache file (a release list or a host's roots).
const maxFile = 1 << 20

// Dir returns the directory sub of the provider's caches, creating it 0700:
// $XDG_CACHE_HOME or $HOME/.cache (os.UserCacheDir), then terraform-provider-magento,
// then sub. Each must be a directory, not a link, that the user owns; sub (which holds
// the files) nobody else may enter, and the two above it nobody else may write (`make
// deps` keeps its Terraform builds in the provider's directory, 0755): otherwise
// another user could read, swap or plant what a plan trusts.
// An error means: do not cache (there is no fallback to a shared directory such as /tmp).
func Dir(sub string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (HOME unset?): %w", err)
	}
	if err := checkOwnDir(base, 0o022); err != nil {
		return "", err
	}
	dir := filepath.Join(base, dirName)
	for d, forbidden := range map[string]os.FileMode{dir: 0o022, filepath.Join(dir, sub): 0o077} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", fmt.Errorf("creating %s: %w", d, err)
		}
		if err := checkOwnDir(d, forbidden); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, sub), nil
}

// checkOwnDir fails unless dir is a directory (not a link) of the current user with
// none of the permission bits in forbidden.
func checkOwnDir(dir string, forbidden os.FileMode) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (%s)", dir, fi.Mode())
	}
	if owner, ok := foreignOwner(fi); ok {
		return fmt.Errorf("%s belongs to user %d, not to this user: remove it or give it to this user", dir, owner)
	}
	if modeBitsMatter && fi.Mode().Perm()&forbidden != 0 {
		return fmt.Errorf("%s has mode %s, which lets other users in: chmod %o %s", dir, fi.Mode().Perm(), fi.Mode().Perm()&^forbidden, dir)
	}
	return nil
}

// Read reads a cache file: a regular file of the user, never through a link.
func Read(file string) ([]byte, error) {
	f, err := openNoFollow(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if _, foreign := foreignOwner(fi); foreign || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file of this user", file)
	}
	return io.ReadAll(io.LimitReader(f, maxFile))
}

// Write replaces file with b atomically: a new 0600 file in the same directory,
// renamed over it. A link at file is replaced, never followed.
func Write(file string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
