package testenv

import (
	"os"
	"sync"
)

// The offline repository takes a second to build; a test binary builds it once.
var shared struct {
	once sync.Once
	repo *Repo
	base string
}

// SharedRepo returns the process-wide offline Composer repository, building it on first
// use. It is world-readable so run_as users can install from it. TestMain should call
// RemoveSharedRepo after the tests.
func SharedRepo(t TB) *Repo {
	t.Helper()
	shared.once.Do(func() {
		base, err := os.MkdirTemp("", "tfmagento-repo-")
		if err != nil {
			t.Fatalf("%v", err)
		}
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatalf("%v", err)
		}
		shared.base = base
		shared.repo = NewRepo(fixedDir{t, base})
	})
	if shared.repo == nil {
		t.Fatalf("building the offline Composer repository failed earlier in this run")
	}
	return shared.repo
}

// RemoveSharedRepo deletes the shared repository, if one was built.
func RemoveSharedRepo() {
	if shared.base != "" {
		_ = os.RemoveAll(shared.base)
	}
}

// fixedDir makes NewRepo write into one directory that outlives the calling test.
type fixedDir struct {
	TB
	dir string
}

func (f fixedDir) TempDir() string { return f.dir }
func (f fixedDir) Cleanup(func())  {}
