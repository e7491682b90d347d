package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// What the resource keeps in the framework's private state, which Terraform stores
// beside the state and hands to the next Read and plan.

// privateData is the framework's private state (its type is internal).
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// privateOwedKey marks, in the resource's private state, a root whose last read found a
// restore owed by an interrupted apply (magento.Installation.OwedRestore).
const privateOwedKey = "owed_restore"

// rememberOwed keeps the read's finding for the plan: the versions may look in sync
// while the apply still owes the root a restore.
func rememberOwed(ctx context.Context, private privateData, owed bool) {
	switch b, _ := private.GetKey(ctx, privateOwedKey); {
	case owed:
		private.SetKey(ctx, privateOwedKey, []byte(`true`))
	case len(b) > 0:
		private.SetKey(ctx, privateOwedKey, nil)
	}
}

// privateGetter is the read half of privateData: what ModifyPlan's request offers.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// owedInPrivate is what the last read recorded.
func owedInPrivate(ctx context.Context, private privateGetter) bool {
	if private == nil {
		return false
	}
	b, _ := private.GetKey(ctx, privateOwedKey)
	return string(b) == "true"
}

// Earlier versions kept the release list in the resource's private state (a key Read
// wrote); Read now drops it.
const privateReleasesKey = "releases"

// dropLegacyReleaseList removes the release list an earlier version's refresh kept.
func dropLegacyReleaseList(ctx context.Context, private privateData) {
	if b, _ := private.GetKey(ctx, privateReleasesKey); len(b) > 0 {
		private.SetKey(ctx, privateReleasesKey, nil)
	}
}
