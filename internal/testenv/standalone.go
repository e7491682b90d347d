package testenv

import (
	"fmt"
	"os"
	"path/filepath"
)

// Standalone lets programs (make demo, make bench) use the rig outside a test: temp
// dirs live under Dir and are kept for inspection, Fatalf panics, and Close runs the
// cleanups (stopping sshd) so nothing is left running.
type Standalone struct {
	Dir      string
	n        int
	cleanups []func()
}

func (s *Standalone) Helper() {}

func (s *Standalone) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func (s *Standalone) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *Standalone) TempDir() string {
	s.n++
	path := filepath.Join(s.Dir, fmt.Sprintf("tmp%02d", s.n))
	if err := os.MkdirAll(path, 0o700); err != nil {
		s.Fatalf("%v", err)
	}
	return path
}

// Close runs the cleanups, newest first.
func (s *Standalone) Close() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}
