package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// Releases are listed at plan time (ModifyPlan) only, never in Read: a refresh, a
// destroy plan, -refresh-only and an import run no Composer, nor does a root in sync.
// The day after a Magento release every shop drifts at once, so a listing is shared:
// the roots of one provider process on one machine whose listings would be the same
// (one release source digest: repositories, auth.json, credentials, Composer, PHP,
// run_as, composer_env) get one listing, made outside any shop (magento.ListReleases).
// Its result, a failure too, stands for the rest of the run.
//
// Terraform plans each resource again in the apply walk (a new provider process, and
// for a saved plan a new Terraform run, often on another machine), and that plan must
// choose the release the first one showed without listing again: one Composer run,
// require, per upgrade. The CLI hands that plan the refreshed state's private data,
// not the first plan's, so the list a plan resolved is kept in two places: on disk
// for this user (version numbers only; the key hashes the credentials), and on the
// host by the listing itself (magento.CarriedReleases), for an apply on another
// machine. A plan that refreshed the root lists afresh; a plan that did not (the apply
// walk, which never refreshes) reuses a list up to releaseCacheTTL old. A create has no
// refresh: it reuses only a list of the same Terraform run. The disk copy lives in the
// user's private cache directory (privateDir); without one it is not kept.
const releaseCacheTTL = 24 * time.Hour

type cachedReleases struct {
	Listed    time.Time `json:"listed"`
	Terraform string    `json:"terraform"` // the Terraform run that listed them
	Releases  []string  `json:"releases"`
}

// releaseScope says which kept list a plan may reuse.
type releaseScope int

const (
	listAfresh        releaseScope = iota // a plan that refreshed the root
	reuseSameRun                          // a create: a list of this Terraform run
	reuseSavedPlanRun                     // an update that did not refresh: the apply walk
)

// releaseListing is one listing, shared by the roots that need it.
type releaseListing struct {
	once     sync.Once
	releases []string
	err      error
}

// releases lists the tool's releases for root as run and e see them, reusing a list
// that scope allows, or the listing this process made for the same release source.
func (d *providerData) releases(ctx context.Context, c remote.Config, run magento.Runner, e magento.Exec, root string, scope releaseScope) ([]string, error) {
	file, thisRun := releaseCacheFile(ctx, c, e, root), terraformProcess()
	if b, err := readPrivate(file); err == nil && file != "" && scope != listAfresh {
		var cached cachedReleases
		if json.Unmarshal(b, &cached) == nil && time.Since(cached.Listed) < releaseCacheTTL && len(cached.Releases) > 0 &&
			(scope == reuseSavedPlanRun || cached.Terraform == thisRun) {
			return cached.Releases, nil
		}
	}
	keep := func(list []string) []string {
		if b, err := json.Marshal(cachedReleases{Listed: time.Now(), Terraform: thisRun, Releases: list}); err == nil && file != "" {
			_ = writePrivate(file, b) // a cache: failing to write it costs a Composer run, nothing else
		}
		return list
	}
	src, err := magento.ReleaseSourceOf(ctx, run, e, root)
	if err != nil {
		return nil, err
	}
	if scope == reuseSavedPlanRun {
		if list, ok := magento.CarriedReleases(ctx, run, e, src, releaseCacheTTL); ok {
			return keep(list), nil
		}
	}
	v, _ := d.listings.LoadOrStore(fmt.Sprintf("%p|%s", run, src.Digest), &releaseListing{})
	l, _ := v.(*releaseListing) // the map holds nothing else
	l.once.Do(func() {
		release, err := d.composerSlot(ctx, c, "composer show --all "+magento.Package+" for "+root)
		if err != nil {
			l.err = err
			return
		}
		defer release()
		l.releases, l.err = magento.ListReleases(ctx, run, e, src)
	})
	if l.err != nil {
		return nil, l.err
	}
	return keep(l.releases), nil
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

// Earlier versions kept the release list in the resource's private state (a key Read
// wrote); Read now drops it.
const privateReleasesKey = "releases"

// privateData is the framework's private state (its type is internal).
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// dropCarried removes what an earlier version's refresh kept.
func dropCarried(ctx context.Context, private privateData) {
	if b, _ := private.GetKey(ctx, privateReleasesKey); len(b) > 0 {
		private.SetKey(ctx, privateReleasesKey, nil)
	}
}

// destroyRun says whether the Terraform run that started this provider plans a destroy
// (terraform destroy, plan -destroy, apply -destroy). Terraform makes a normal plan of
// every resource before a destroy plan (its pre-destroy refresh) and discards it, and
// tells the provider nothing of it; listing releases there would run Composer for a
// plan nobody sees. So the provider reads Terraform's command line where /proc shows
// it (TF_CLI_ARGS and TF_CLI_ARGS_<command> included); elsewhere it cannot tell, and
// lists.
var destroyRun = sync.OnceValue(func() bool {
	ppid := strconv.Itoa(os.Getppid())
	cmdline, err := os.ReadFile("/proc/" + ppid + "/cmdline")
	if err != nil {
		return false
	}
	environ, _ := os.ReadFile("/proc/" + ppid + "/environ")
	return destroyCommand(strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"), strings.Split(string(environ), "\x00"))
})

// destroyCommand reads a Terraform (or OpenTofu) command line and environment: true for
// destroy, and plan or apply with -destroy.
func destroyCommand(argv, environ []string) bool {
	if len(argv) < 2 {
		return false
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var command string
	var args []string
	for i, a := range argv[1:] {
		if !strings.HasPrefix(a, "-") { // global options (-chdir=DIR) come first, in one word
			command, args = a, argv[i+2:]
			break
		}
	}
	args = append(append(strings.Fields(env["TF_CLI_ARGS"]), strings.Fields(env["TF_CLI_ARGS_"+command])...), args...)
	if command == "destroy" {
		return true
	}
	if command != "plan" && command != "apply" {
		return false
	}
	destroy := false
	for _, a := range args {
		switch strings.TrimPrefix(a, "-") {
		case "-destroy", "destroy", "destroy=true", "-destroy=true":
			destroy = true
		case "destroy=false", "-destroy=false":
			destroy = false
		}
	}
	return destroy
}
