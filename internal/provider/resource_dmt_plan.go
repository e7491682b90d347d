package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/releasecache"
	"github.com/magento-ops/terraform-provider-magento/internal/terraformrun"
)

// ModifyPlan applies the version rule. The refreshed state knows Magento's version and
// the installed tool; a create reads the host once (the same single command as Read).
//   - in sync (unpinned: the same base as Magento; pinned: the pin): the installed
//     version, so there is no diff;
//   - pinned and not in sync: the pin, which must match Magento's base version and be
//     a published release;
//   - unpinned and behind: the newest release for Magento's base, resolved here
//     (planTarget), so the plan shows the exact version the apply installs; with no
//     release for that base yet, the installed version and a warning (or an error, by
//     on_missing_release). It stays unknown only while settings it needs are not
//     known until apply, and in the plan Terraform makes and discards before a destroy.
//
// An update in sync is planned from single attributes, not the whole model: the
// framework's reflection over a model compiles a regexp per field, and converting whole
// models here was 0.9 ms of the provider's CPU per resource in a plan.
func (r *dataMigrationToolResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or the provider is not configured yet
	}
	var host, root, pin types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(attrHost), &host)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(attrMagentoRoot), &root)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(attrVersion), &pin)...)
	if resp.Diagnostics.HasError() || root.IsUnknown() || pin.IsUnknown() || (host.IsUnknown() && !req.State.Raw.IsNull()) {
		return // a replacement on a host not known yet: everything computed stays unknown
	}

	var installed, magentoVersion, edition, lastBackup types.String
	owed := owedInPrivate(ctx, req.Private)
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
		if plan.RunAs.IsUnknown() {
			resp.Diagnostics.AddAttributeWarning(path.Root(attrRunAs), "Host Read Deferred Until Apply", "run_as is not known until apply "+
				"(a value built from a resource not created yet), and the plan does not read "+root.ValueString()+" as the SSH user in its place: "+
				"the versions are known after apply, which reads the root as run_as first and installs the release Magento's version needs.")
			return
		}
		inst, ok := r.readForPlan(ctx, &plan, resp)
		if !ok {
			return
		}
		installed, magentoVersion, edition = optionalString(inst.DMTVersion), types.StringValue(inst.MagentoVersion), types.StringValue(inst.Edition)
		owed = inst.OwedRestore
		lastBackup = plan.LastBackup
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attrID), connectionID(conn, root.ValueString()))...)
	} else {
		for p, v := range map[string]*types.String{attrVersion: &installed, attrMagentoVersion: &magentoVersion, attrMagentoEdition: &edition, attrLastBackup: &lastBackup} {
			resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(p), v)...)
		}
		if resp.Diagnostics.HasError() {
			return
		}
		r.planID(ctx, req, resp, root.ValueString())
	}

	if pin.ValueString() != "" {
		if err := magento.CheckPin(pin.ValueString(), magentoVersion.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(attrVersion), "Version Does Not Match Magento", err.Error())
			return
		}
	}
	inSync, err := magento.InSync(installed.ValueString(), magentoVersion.ValueString(), pin.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root(attrMagentoRoot), "Unsupported Magento Version", err.Error())
		return
	}
	version := installed
	if !inSync {
		var plan dataMigrationToolModel
		if resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...); resp.Diagnostics.HasError() {
			return
		}
		var ok bool
		if version, ok = r.planTarget(ctx, &plan, req, magentoVersion.ValueString(), installed, pin.ValueString(), resp); !ok {
			return
		}
		if !version.Equal(installed) {
			lastBackup = types.StringUnknown()
		}
	}
	planOwedRestore(owed, root.ValueString(), &lastBackup, resp)
	for p, v := range map[string]types.String{attrVersion: version, attrMagentoVersion: magentoVersion, attrMagentoEdition: edition, attrLastBackup: lastBackup} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), v)...)
	}
}

// planID plans the id of an update: the connection's (ssh { port, user } may have
// changed: a host that moved), so the apply's id is the planned one. Settings not known
// until apply leave it unknown when the configuration changed, and as it was otherwise.
func (r *dataMigrationToolResource) planID(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, root string) {
	var host types.String
	var ssh types.Object
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(attrHost), &host)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(attrSSH), &ssh)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := types.StringUnknown()
	if conn, _, known := r.data.connection(ctx, host.ValueString(), ssh, &resp.Diagnostics); known && !host.IsUnknown() {
		id = types.StringValue(connectionID(conn, root))
	} else if req.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attrID), id)...)
}

// planTarget resolves, for a drifted root, the exact release the apply will install:
// the newest for Magento's base (or the pin, which must be published), from the list
// providerData.releases gives (one listing per release source per plan, or the list an
// earlier plan kept). No release for Magento's version: with on_missing_release =
// "warn" the plan keeps installed (no change) and warns; "error" fails. Settings not
// known until apply: unknown, resolved then; the plan before a destroy plan: unknown,
// and nothing is listed. ok is false when an error was added.
func (r *dataMigrationToolResource) planTarget(ctx context.Context, plan *dataMigrationToolModel, req resource.ModifyPlanRequest, magentoVersion string, installed types.String,
	pin string, resp *resource.ModifyPlanResponse) (types.String, bool) {
	create := req.State.Raw.IsNull()
	auth, authKnown := r.composerAuth(ctx, req.Config, &resp.Diagnostics)
	ctx = r.data.logContext(ctx, auth)
	conn, known := plan.connection(ctx, r.data, &resp.Diagnostics)
	if !known || !authKnown {
		return types.StringUnknown(), !resp.Diagnostics.HasError()
	}
	if unknown := plan.unknownExec(); len(unknown) > 0 {
		resp.Diagnostics.AddAttributeWarning(path.Root(attrVersion), "Release Resolved At Apply", fmt.Sprintf("%s not known until apply "+
			"(a value built from a resource not created yet), and the plan does not list releases with defaults in their place: "+
			"version is known after apply, which lists them as configured and installs the newest release for Magento %s (or the pin).",
			strings.Join(unknown, ", "), magentoVersion))
		return types.StringUnknown(), true
	}
	if terraformrun.Destroying() {
		return types.StringUnknown(), true // the plan before a destroy plan, which Terraform discards: no listing
	}
	run := r.runner(ctx, plan, &resp.Diagnostics)
	exec := plan.exec(ctx, auth, &resp.Diagnostics)
	if run == nil || resp.Diagnostics.HasError() {
		return types.StringUnknown(), false
	}
	scope := releasecache.ReuseSavedPlanRun
	if _, refreshedHere := r.data.refreshed.Load(connectionID(conn, plan.MagentoRoot.ValueString())); refreshedHere {
		scope = releasecache.ListAfresh
	} else if create {
		scope = releasecache.ReuseSameRun
	}
	releases, err := r.data.releases(ctx, conn, run, exec, plan.MagentoRoot.ValueString(), scope)
	if err != nil {
		addError(&resp.Diagnostics, err, "Listing Data Migration Tool Releases Failed")
		return types.StringUnknown(), false
	}
	target, err := magento.ResolveTarget(magentoVersion, pin, releases)
	var missing *magento.MissingReleaseError
	switch {
	case errors.As(err, &missing) && plan.OnMissingRelease.ValueString() != missingReleaseError:
		now := "absent"
		if installed.ValueString() != "" {
			now = installed.ValueString()
		}
		resp.Diagnostics.AddAttributeWarning(path.Root(attrVersion), "No Data Migration Tool Release Yet",
			fmt.Sprintf("Upstream has not released magento/data-migration-tool for Magento %s (this shop runs Magento %s); the tool stays as it is (%s) "+
				"and nothing changes until a release appears, which the next plan will then install. Newest releases: %s. "+
				"Set on_missing_release = \"error\" to fail the plan instead.", missing.Base, magentoVersion, now, strings.Join(missing.Newest, ", ")))
		return installed, true
	case errors.As(err, &missing):
		resp.Diagnostics.AddAttributeError(path.Root(attrVersion), "No Data Migration Tool Release Yet", err.Error()+` (on_missing_release = "error")`)
		return types.StringUnknown(), false
	case err != nil:
		resp.Diagnostics.AddAttributeError(path.Root(attrVersion), "Data Migration Tool Release Not Found", err.Error())
		return types.StringUnknown(), false
	}
	return types.StringValue(target), true
}

// readForPlan reads the host for a create plan.
func (r *dataMigrationToolResource) readForPlan(ctx context.Context, plan *dataMigrationToolModel, resp *resource.ModifyPlanResponse) (magento.Installation, bool) {
	ctx = r.data.logContext(ctx)
	run := r.runner(ctx, plan, &resp.Diagnostics)
	if run == nil {
		return magento.Installation{}, false
	}
	conn, _ := plan.connection(ctx, r.data, &resp.Diagnostics) // known: the caller checked
	inst, err := r.data.readInstallation(ctx, conn, run, plan.RunAs.ValueString(), plan.MagentoRoot.ValueString(), false)
	if err != nil {
		addError(&resp.Diagnostics, err, "Reading the Magento Installation Failed")
		return magento.Installation{}, false
	}
	return inst, true
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
