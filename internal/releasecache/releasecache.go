// Package releasecache keeps, on the operator's machine, the release list a plan
// resolved. Terraform plans each resource again in the apply walk (a new provider
// process, and for a saved plan a new Terraform run, often on another machine), and
// that plan must choose the release the first one showed without listing again: one
// Composer run, require, per upgrade. The CLI hands that plan the refreshed state's
// private data, not the first plan's, so the list is kept here, for this user (version
// numbers only; the key hashes the credentials), and on the host by the listing itself
// (magento.KeptReleases), for an apply on another machine. The files live in the
// user's private cache directory (privatecache.Dir); without one nothing is kept.
package releasecache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/privatecache"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/terraformrun"
)

// TTL is how long a kept list may be reused, here and on the host.
const TTL = 24 * time.Hour

// Scope says which kept list a plan may reuse. A plan that refreshed the root lists
// afresh; a plan that did not (the apply walk, which never refreshes) reuses a list up
// to TTL old. A create has no refresh: it reuses only a list of the same Terraform run.
type Scope int

const (
	ListAfresh        Scope = iota // a plan that refreshed the root
	ReuseSameRun                   // a create: a list of this Terraform run
	ReuseSavedPlanRun              // an update that did not refresh: the apply walk
)

// Entry is the kept list of one root as one user and Composer see it, for this
// Terraform run. The zero Entry keeps nothing.
type Entry struct {
	file string // "" when the user has no private cache directory
	run  string // the Terraform run that lists now (terraformrun.ID)
}

type cachedReleases struct {
	Listed    time.Time `json:"listed"`
	Terraform string    `json:"terraform"` // the Terraform run that listed them
	Releases  []string  `json:"releases"`
}

// For names the entry of root on c's host as e runs Composer there: the user, run_as,
// Composer, its environment and credentials are in the key. Without a private cache
// directory it is the zero Entry, and a log line says why.
func For(ctx context.Context, c remote.Config, e magento.Exec, root string) Entry {
	env := make([]string, 0, len(e.Env))
	for k, v := range e.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	sum := sha256.Sum256([]byte(strings.Join([]string{c.Address(), c.User, root, e.RunAs, e.Composer, strings.Join(env, "\x00"), e.Auth}, "\x00")))
	dir, err := privatecache.Dir("releases")
	if err != nil {
		tflog.Warn(ctx, "release lists are not cached between plan and apply: "+err.Error())
		return Entry{}
	}
	return Entry{file: filepath.Join(dir, hex.EncodeToString(sum[:16])+".json"), run: terraformrun.ID()}
}

// Load returns the kept list when scope allows its reuse: younger than TTL, not empty,
// and, for ReuseSameRun, listed by this Terraform run.
func (k Entry) Load(scope Scope) ([]string, bool) {
	if k.file == "" || scope == ListAfresh {
		return nil, false
	}
	b, err := privatecache.Read(k.file)
	if err != nil {
		return nil, false
	}
	var cached cachedReleases
	if json.Unmarshal(b, &cached) != nil || time.Since(cached.Listed) >= TTL || len(cached.Releases) == 0 ||
		(scope != ReuseSavedPlanRun && cached.Terraform != k.run) {
		return nil, false
	}
	return cached.Releases, true
}

// Store keeps list as listed now by this run, and returns it.
func (k Entry) Store(list []string) []string {
	if b, err := json.Marshal(cachedReleases{Listed: time.Now(), Terraform: k.run, Releases: list}); err == nil && k.file != "" {
		_ = privatecache.Write(k.file, b) // a cache: failing to write it costs a Composer run, nothing else
	}
	return list
}
