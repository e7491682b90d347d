package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// Terraform refreshes a fleet ten resources at a time, and across a network each read
// command costs a round trip. So the roots read on a host are remembered on disk (paths
// only), and the first read of the next run on that host reads them all at once
// (magento.ReadBatcher.ReadAhead): Terraform's next reads find their answers.
const rootMemoryTTL = 7 * 24 * time.Hour

// rootMemory is the roots read per host and user: loaded once per process, written
// when a root is new or was last noted more than a day ago.
type rootMemory struct {
	mu       sync.Mutex
	files    map[string]map[string]time.Time // file -> root -> last read
	recalled map[string][]string             // file -> what recall returns, worked out once
}

// rootMemoryFile names the memory of one host as one user (run_as), for the Terraform
// configuration in the working directory (Terraform starts providers there): shops of
// one host that other configurations manage are not read ahead here.
func rootMemoryFile(c remote.Config, runAs string) string {
	wd, _ := os.Getwd()
	sum := sha256.Sum256([]byte(strings.Join([]string{wd, c.Address(), c.User, runAs}, "\x00")))
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "terraform-provider-magento", "roots", hex.EncodeToString(sum[:16])+".json")
}

// load returns file's roots; the caller holds mu.
func (m *rootMemory) load(file string) map[string]time.Time {
	if m.files == nil {
		m.files = map[string]map[string]time.Time{}
	}
	roots, ok := m.files[file]
	if !ok {
		roots = map[string]time.Time{}
		if b, err := os.ReadFile(file); err == nil {
			_ = json.Unmarshal(b, &roots) // a memory: unreadable means empty
		}
		m.files[file] = roots
	}
	return roots
}

// recall returns the roots read from file's host within rootMemoryTTL, newest first,
// as the file was when this process first asked (what this run reads ahead).
func (m *rootMemory) recall(file string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if recent, ok := m.recalled[file]; ok {
		return recent
	}
	roots := m.load(file)
	recent := slices.DeleteFunc(slices.Collect(maps.Keys(roots)), func(r string) bool { return time.Since(roots[r]) > rootMemoryTTL })
	slices.SortFunc(recent, func(a, b string) int { return roots[b].Compare(roots[a]) })
	if m.recalled == nil {
		m.recalled = map[string][]string{}
	}
	m.recalled[file] = recent
	return recent
}

// note records that root was read; only roots that are Magento installs are noted.
func (m *rootMemory) note(file, root string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	roots := m.load(file)
	if last, ok := roots[root]; ok && time.Since(last) < 24*time.Hour {
		return
	}
	roots[root] = time.Now()
	for r, last := range roots {
		if time.Since(last) > rootMemoryTTL {
			delete(roots, r)
		}
	}
	if b, err := json.Marshal(roots); err == nil && os.MkdirAll(filepath.Dir(file), 0o700) == nil {
		_ = os.WriteFile(file, b, 0o600) // a memory: failing to write it costs round trips, nothing else
	}
}
