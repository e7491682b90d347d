package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

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

// planOwedRestore makes the plan an update (last_backup becomes unknown: the apply
// writes a new archive) and warns, when a restore is owed.
func planOwedRestore(owed bool, root string, lastBackup *types.String, resp *resource.ModifyPlanResponse) {
	if !owed {
		return
	}
	*lastBackup = types.StringUnknown()
	resp.Diagnostics.AddAttributeWarning(path.Root(attrMagentoRoot), "Restore Owed By An Interrupted Apply",
		"An earlier apply on "+root+" was interrupted after Composer changed files, and its restore has not run yet "+
			"(the record is in the SSH user's private state directory). The apply restores the root from that apply's archive first, "+
			"unless composer.json or composer.lock moved on since, then installs the planned version.")
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
