package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Digest maps every file, directory and symlink under root's given relative paths to
// its mode and content hash, so a test can prove a tree is byte-for-byte as before.
func Digest(t TB, root string, paths ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rel := range paths {
		start := filepath.Join(root, rel)
		if _, err := os.Lstat(start); os.IsNotExist(err) {
			out[rel] = "absent"
			continue
		}
		err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			key, _ := filepath.Rel(root, path)
			entry := info.Mode().String()
			if info.Mode().IsRegular() {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(b)
				entry += " " + hex.EncodeToString(sum[:])
			}
			out[key] = entry
			return nil
		})
		if err != nil {
			t.Fatalf("digesting %s: %v", start, err)
		}
	}
	return out
}

// DiffDigests describes how two digests differ ("" when equal).
func DiffDigests(before, after map[string]string) string {
	var diff string
	for k, v := range before {
		if after[k] != v {
			diff += fmt.Sprintf("%s: %q -> %q\n", k, v, after[k])
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			diff += fmt.Sprintf("%s: new %q\n", k, v)
		}
	}
	return diff
}

// EnvMap turns KEY=value pairs into a map (for composer_env).
func EnvMap(pairs []string) map[string]string {
	m := map[string]string{}
	for _, p := range pairs {
		for i := 0; i < len(p); i++ {
			if p[i] == '=' {
				m[p[:i]] = p[i+1:]
				break
			}
		}
	}
	return m
}
