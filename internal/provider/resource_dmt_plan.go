package provider

import (
	"context"
	"strings"

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
//
// It reads and writes single attributes, not the whole model: the framework's
// reflection over a model compiles a regexp per field, and converting whole models here
// was 0.9 ms of the provider's CPU per resource in a plan.
func (r *dataMigrationToolResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or the provider is not configured yet
	}
	var host, root, pin types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("host"), &host)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("magento_root"), &root)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("version"), &pin)...)
	if resp.Diagnostics.HasError() || root.IsUnknown() || pin.IsUnknown() || (host.IsUnknown() && !req.State.Raw.IsNull()) {
		return // a replacement on a host not known yet: everything computed stays unknown
	}

	var installed, magentoVersion, edition, lastBackup types.String
	if req.State.Raw.IsNull() { // create: read the host
		var plan dataMigrationToolModel
		resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
		if resp.Diagnostics.HasError() {
			return
		}
		conn, known := plan.connection(ctx, r.data, &resp.Diagnostics)
		if host.IsUnknown() || !known {
			// Never read with defaults for what is unknown: the versions stay
			// "known after apply", and the apply reads the host first.
			resp.Diagnostics.AddWarning("Host Read Deferred Until Apply", "The host or "+strings.ToLower(unknownSSHDetail[:1])+unknownSSHDetail[1:]+
				" The plan cannot show the tool's version yet; the apply reads "+root.ValueString()+" first and installs the release Magento's version needs.")
			return
		}
		inst, ok := r.readForPlan(ctx, &plan, resp)
		if !ok {
			return
		}
		installed, magentoVersion, edition = optionalString(inst.DMTVersion), types.StringValue(inst.MagentoVersion), types.StringValue(inst.Edition)
		lastBackup = plan.LastBackup
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), connectionID(conn, root.ValueString()))...)
	} else {
		for p, v := range map[string]*types.String{"version": &installed, "magento_version": &magentoVersion, "magento_edition": &edition, "last_backup": &lastBackup} {
			resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(p), v)...)
		}
		if resp.Diagnostics.HasError() {
			return
		}
	}

	if pin.ValueString() != "" {
		if err := magento.CheckPin(pin.ValueString(), magentoVersion.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("version"), "Version Does Not Match Magento", err.Error())
			return
		}
	}
	inSync, err := magento.InSync(installed.ValueString(), magentoVersion.ValueString(), pin.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("magento_root"), "Unsupported Magento Version", err.Error())
		return
	}
	version := installed
	switch {
	case pin.ValueString() != "":
		version = pin
	case !inSync:
		version = types.StringUnknown()
	}
	if !inSync {
		lastBackup = types.StringUnknown()
	}
	for p, v := range map[string]types.String{"version": version, "magento_version": magentoVersion, "magento_edition": edition, "last_backup": lastBackup} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), v)...)
	}
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
