package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/releasecache"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// Releases are listed at plan time (ModifyPlan) only, never in Read: a refresh, a
// destroy plan, -refresh-only and an import run no Composer, nor does a root in sync.
// The day after a Magento release every shop drifts at once, so a listing is shared:
// the roots of one provider process on one machine whose listings would be the same
// (one release source digest: repositories, auth.json, credentials, Composer, PHP,
// run_as, composer_env) get one listing, made outside any shop (magento.ListReleases),
// which takes one of the host's Composer slots as an apply does (per_host_parallelism).
// Its result, a failure too, stands for the rest of the run. The list a plan resolved
// is kept for the apply walk's plan (releasecache), which lists nothing.

// releaseListing is one listing, shared by the roots that need it.
type releaseListing struct {
	once     sync.Once
	releases []string
	err      error
}

// releases lists the tool's releases for root as run and e see them, reusing a list
// that scope allows, or the listing this process made for the same release source.
func (d *providerData) releases(ctx context.Context, c remote.Config, run magento.Runner, e magento.Exec, root string, scope releasecache.Scope) ([]string, error) {
	kept := releasecache.For(ctx, c, e, root)
	if list, ok := kept.Load(scope); ok {
		return list, nil
	}
	// The roots this host served in the last run drift together on release day: the
	// first plan also reads their release sources ahead, in one command of its own.
	ahead := d.roots.Recall(d.roots.File(ctx, c, e.RunAs))
	src, err := magento.ReleaseSourceThrough(ctx, d.sources, fmt.Sprintf("%p|%s", run, e.RunAs), run, e, root, ahead)
	if err != nil {
		return nil, err
	}
	if scope == releasecache.ReuseSavedPlanRun {
		if list, ok := magento.KeptReleases(ctx, run, e, src, releasecache.TTL); ok {
			return kept.Store(list), nil
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
		l.releases, l.err = magento.ListReleases(ctx, run, e, src, magento.ListingSlots{N: d.hostSlots(), OnSlot: func(n magento.SlotNews) {
			if !n.Held {
				tflog.Info(ctx, fmt.Sprintf("waiting for a Composer slot on %s to list releases: per_host_parallelism = %d, held by %s",
					c.Host, d.hostSlots(), strings.Join(n.Holders, ", ")))
			}
		}})
	})
	if l.err != nil {
		return nil, l.err
	}
	return kept.Store(l.releases), nil
}
