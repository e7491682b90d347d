package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// Terraform plans each resource again in the apply walk (a new provider process, and
// for a saved plan a new Terraform run), and that plan must choose the release the
// first one showed without listing again: one Composer run, require, per upgrade. So
// the release list a plan resolved is kept on disk (version numbers only; the key
// hashes the credentials). A plan that refreshed the root lists afresh; a plan that
// did not (the apply walk, which never refreshes) reuses a list up to releaseCacheTTL
// old. A create has no refresh: it reuses only a list of the same Terraform run. The
// list lives in the user's private cache directory (privateDir); without one it is not
// kept, and every plan lists afresh.
const releaseCacheTTL = 24 * time.Hour

type cachedReleases struct {
	Listed    time.Time `json:"listed"`
	Terraform string    `json:"terraform"` // the Terraform run that listed them
	Releases  []string  `json:"releases"`
}

// releaseScope says which cached list a plan may reuse.
type releaseScope int

const (
	listAfresh        releaseScope = iota // a plan that refreshed the root
	reuseSameRun                          // a create: a list of this Terraform run
	reuseSavedPlanRun                     // an update that did not refresh: the apply walk
)

// releases lists the tool's releases for root as run and e see them, reusing a list
// that scope allows.
func (d *providerData) releases(ctx context.Context, c remote.Config, run magento.Runner, e magento.Exec, root string, scope releaseScope) ([]string, error) {
	file, thisRun := releaseCacheFile(ctx, c, e, root), terraformProcess()
	if b, err := readPrivate(file); err == nil && file != "" && scope != listAfresh {
		var cached cachedReleases
		if json.Unmarshal(b, &cached) == nil && time.Since(cached.Listed) < releaseCacheTTL && len(cached.Releases) > 0 &&
			(scope == reuseSavedPlanRun || cached.Terraform == thisRun) {
			return cached.Releases, nil
		}
	}
	release, err := d.composerSlot(ctx, c, "composer show --all "+magento.Package+" in "+root)
	if err != nil {
		return nil, err
	}
	list, err := magento.Releases(ctx, magento.RunAs(run, e.RunAs), e, root)
	release()
	if err != nil {
		return nil, err
	}
	if b, err := json.Marshal(cachedReleases{Listed: time.Now(), Terraform: thisRun, Releases: list}); err == nil && file != "" {
		_ = writePrivate(file, b) // a cache: failing to write it costs a Composer run, nothing else
	}
	return list, nil
}

// terraformProcess identifies the Terraform run that started this provider: the
// parent's PID and, where /proc tells it, the parent's start time (PIDs are reused).
func terraformProcess() string {
	ppid := strconv.Itoa(os.Getppid())
	stat, err := os.ReadFile("/proc/" + ppid + "/stat")
	if err != nil {
		return ppid
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) > 19 {
		return ppid + "@" + fields[19] // starttime, field 22 of stat
	}
	return ppid
}

// releaseCacheFile names the cache entry for one root as one user and Composer see it;
// "" (and a log line) when the user has no private cache directory.
func releaseCacheFile(ctx context.Context, c remote.Config, e magento.Exec, root string) string {
	env := make([]string, 0, len(e.Env))
	for k, v := range e.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	sum := sha256.Sum256([]byte(strings.Join([]string{c.Address(), c.User, root, e.RunAs, e.Composer, strings.Join(env, "\x00"), e.Auth}, "\x00")))
	dir, err := privateDir("releases")
	if err != nil {
		tflog.Warn(ctx, "release lists are not cached between plan and apply: "+err.Error())
		return ""
	}
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".json")
}

// A saved plan is applied by another Terraform run, often another CI job on another
// machine, whose apply walk plans each update again: it must resolve the release the
// plan showed, also when upstream published one since. So the refresh of a root whose
// tool is behind Magento lists the releases (the listing the plan would make right
// after, not one more) and keeps them in the resource's private state, which the saved
// plan carries: the apply walk resolves from that list, not from a cache on the
// planning machine. Version numbers only, and a hash of the settings they were listed
// with (never the credentials).
const privateReleasesKey = "releases"

type carriedReleases struct {
	Listed   time.Time `json:"listed"`
	Settings string    `json:"settings"`
	Releases []string  `json:"releases"`
}

// privateGetter and privateData are the framework's private state (its type is internal).
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateData interface {
	privateGetter
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// releaseSettings is what a release list depends on, hashed: where and how Composer ran.
func releaseSettings(c remote.Config, e magento.Exec, root string) string {
	env := make([]string, 0, len(e.Env))
	for k, v := range e.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	sum := sha256.Sum256([]byte(strings.Join([]string{c.Address(), c.User, root, e.RunAs, e.PHP, e.Composer, strings.Join(env, "\x00")}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// carryReleases is Read's part for a root whose tool is behind Magento: list the
// releases as e says (listable false: Read cannot, see priorState.exec) and keep them
// in private. A listing that fails is left to the plan, which lists again and reports it.
func (d *providerData) carryReleases(ctx context.Context, private privateData, c remote.Config, run magento.Runner, inst magento.Installation,
	e magento.Exec, listable bool) {
	if !listable {
		dropCarried(ctx, private)
		return
	}
	list, err := d.releases(ctx, c, run, e, inst.Root, listAfresh)
	if err != nil {
		tflog.Warn(ctx, "listing releases in the refresh failed; the plan lists again", map[string]any{"error": err.Error()})
		dropCarried(ctx, private)
		return
	}
	if b, err := json.Marshal(carriedReleases{Listed: time.Now(), Settings: releaseSettings(c, e, inst.Root), Releases: list}); err == nil {
		private.SetKey(ctx, privateReleasesKey, b)
	}
}

// dropCarried removes what an earlier refresh kept: a root in sync needs no list.
func dropCarried(ctx context.Context, private privateData) {
	if b, _ := private.GetKey(ctx, privateReleasesKey); len(b) > 0 {
		private.SetKey(ctx, privateReleasesKey, nil)
	}
}

// carried is the release list a refresh kept for these settings, if any: the list of
// this plan's own refresh, or (the apply walk of a saved plan, a plan without refresh)
// one up to releaseCacheTTL old.
func carried(ctx context.Context, private privateGetter, c remote.Config, e magento.Exec, root string) ([]string, bool) {
	if private == nil {
		return nil, false
	}
	b, diags := private.GetKey(ctx, privateReleasesKey)
	var kept carriedReleases
	if diags.HasError() || len(b) == 0 || json.Unmarshal(b, &kept) != nil {
		return nil, false
	}
	return kept.Releases, kept.Settings == releaseSettings(c, e, root) && time.Since(kept.Listed) < releaseCacheTTL && len(kept.Releases) > 0
}
