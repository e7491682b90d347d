// Package rootmemory remembers, between runs, which Magento roots were read on each
// host, so that the first read of the next run can read them all at once.
package rootmemory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/privatecache"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// Terraform refreshes a fleet ten resources at a time, and across a network each read
// command costs a round trip. So the roots read on a host are remembered on disk (paths
// only, in the user's private cache directory), and the first read of the next run on
// that host reads them all at once (magento.ReadBatcher.ReadAhead): Terraform's next
// reads find their answers. A memory older than ttl is not used.
const ttl = 7 * 24 * time.Hour

// Memory is one provider process's memory of roots, per host and user: what the
// last run read (recalled once), and what this run reads. Save writes it once, when the
// process ends: the roots this run asked for and read, so a root that left the
// configuration, or failed, is forgotten the first time.
type Memory struct {
	mu        sync.Mutex
	dir       string // "" until resolved or when nothing is cached
	resolved  bool
	recalled  map[string][]string // file -> the last run's roots
	read      map[string][]string // file -> the roots this run read, in order
	refreshed map[string]bool     // file -> this run refreshed a root there
}

// rememberedRoots is a memory file.
type rememberedRoots struct {
	Written time.Time `json:"written"`
	Roots   []string  `json:"roots"`
}

// New returns an empty memory; main saves it when the process ends.
func New() *Memory { return &Memory{} }

// File names the memory of one host as one user (run_as), for the Terraform
// configuration in the working directory (Terraform starts providers there): shops of
// one host that other configurations manage are not read ahead here. "" when the user
// has no private cache directory (logged once per process), or for a nil memory: then
// nothing is remembered.
func (m *Memory) File(ctx context.Context, c remote.Config, runAs string) string {
	if m == nil {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.resolved {
		m.resolved = true
		dir, err := privatecache.Dir("roots")
		if err != nil {
			tflog.Warn(ctx, "roots are not remembered between runs (no read ahead): "+err.Error())
		}
		m.dir = dir
	}
	if m.dir == "" {
		return ""
	}
	wd, _ := os.Getwd()
	sum := sha256.Sum256([]byte(strings.Join([]string{wd, c.Address(), c.User, runAs}, "\x00")))
	return filepath.Join(m.dir, hex.EncodeToString(sum[:16])+".json")
}

// Recall returns the roots the last run read from file's host, as the file was when
// this process first asked (what this run reads ahead).
func (m *Memory) Recall(file string) []string {
	if file == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if roots, ok := m.recalled[file]; ok {
		return roots
	}
	var last rememberedRoots
	if b, err := privatecache.Read(file); err == nil {
		_ = json.Unmarshal(b, &last) // a memory: unreadable means empty
	}
	if time.Since(last.Written) > ttl {
		last.Roots = nil
	}
	if m.recalled == nil {
		m.recalled = map[string][]string{}
	}
	m.recalled[file] = last.Roots
	return last.Roots
}

// Note records that this run asked for root and read it; refresh says a Read (not a
// create's plan) asked.
func (m *Memory) Note(file, root string, refresh bool) {
	if file == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.read == nil {
		m.read, m.refreshed = map[string][]string{}, map[string]bool{}
	}
	if !slices.Contains(m.read[file], root) {
		m.read[file] = append(m.read[file], root)
	}
	m.refreshed[file] = m.refreshed[file] || refresh
}

// Save writes, once per process, the memory of each host this run refreshed: the roots
// it read. A process that only planned creates (the apply walk re-plans them) writes
// only where nothing was remembered, so it never shrinks a fleet's memory to its creates.
func (m *Memory) Save() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for file, roots := range m.read {
		if !m.refreshed[file] && len(m.recalled[file]) > 0 {
			continue
		}
		if b, err := json.Marshal(rememberedRoots{Written: time.Now(), Roots: roots}); err == nil {
			_ = privatecache.Write(file, b) // a memory: failing to write it costs round trips, nothing else
		}
	}
	m.read, m.refreshed = nil, nil
}
