package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

// ModifyPlan applies the version rule. The refreshed state knows Magento's version and
// the installed tool; a create reads the host once (the same single command as Read).
//   - pinned: the plan is the pin, which must match Magento's base version;
//   - unpinned and in sync: the installed version, so there is no diff;
//   - unpinned and behind: unknown, resolved at apply to the newest release.
func (r *dataMigrationToolResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or the provider is not configured yet
	}
	var plan, config dataMigrationToolModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || plan.Host.IsUnknown() || plan.MagentoRoot.IsUnknown() || config.Version.IsUnknown() {
		return
	}

	var installed, magentoVersion, edition types.String
	creating := req.State.Raw.IsNull()
	if creating {
		inst, ok := r.readForPlan(ctx, &plan, resp)
		if !ok {
			return
		}
		installed, magentoVersion, edition = optionalString(inst.DMTVersion), types.StringValue(inst.MagentoVersion), types.StringValue(inst.Edition)
		plan.ID = types.StringValue(connectionID(plan.connection(r.data), plan.MagentoRoot.ValueString()))
	} else {
		var state dataMigrationToolModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		installed, magentoVersion, edition = state.Version, state.MagentoVersion, state.MagentoEdition
		plan.LastBackup = state.LastBackup
	}
	plan.MagentoVersion, plan.MagentoEdition = magentoVersion, edition

	pin := config.Version.ValueString()
	if pin != "" {
		if err := magento.CheckPin(pin, magentoVersion.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("version"), "Version Does Not Match Magento", err.Error())
			return
		}
	}
	inSync, err := magento.InSync(installed.ValueString(), magentoVersion.ValueString(), pin)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("magento_root"), "Unsupported Magento Version", err.Error())
		return
	}
	switch {
	case pin != "":
		plan.Version = types.StringValue(pin)
	case inSync:
		plan.Version = installed
	default:
		plan.Version = types.StringUnknown()
	}
	if !inSync {
		plan.LastBackup = types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// readForPlan reads the host for a create plan.
func (r *dataMigrationToolResource) readForPlan(ctx context.Context, plan *dataMigrationToolModel, resp *resource.ModifyPlanResponse) (magento.Installation, bool) {
	ctx = r.data.logContext(ctx)
	run := r.runner(ctx, plan, &resp.Diagnostics)
	if run == nil {
		return magento.Installation{}, false
	}
	inst, err := r.data.readInstallation(ctx, run, plan.RunAs.ValueString(), plan.MagentoRoot.ValueString())
	if err != nil {
		addError(&resp.Diagnostics, err, "Reading the Magento Installation Failed")
		return magento.Installation{}, false
	}
	return inst, true
}
