package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// composerAuth is the COMPOSER_AUTH for one resource: its write-only composer_auth_wo,
// which only the configuration holds (never plan or state), else the provider's
// composer_auth. known is false while composer_auth_wo is not known yet (an ephemeral
// value at plan time). Terraform sends no configuration on destroy, so a destroy uses
// the provider's.
func (r *dataMigrationToolResource) composerAuth(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) (auth string, known bool) {
	var wo types.String
	diags.Append(config.GetAttribute(ctx, path.Root(attrComposerAuthWO), &wo)...)
	switch {
	case wo.IsUnknown():
		return "", false
	case !wo.IsNull():
		return wo.ValueString(), true
	}
	return r.data.composerAuth, true
}
