package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

var (
	_ resource.ResourceWithConfigure      = (*dataMigrationToolResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*dataMigrationToolResource)(nil)
	_ resource.ResourceWithImportState    = (*dataMigrationToolResource)(nil)
	_ resource.ResourceWithValidateConfig = (*dataMigrationToolResource)(nil)
)

const defaultTimeout = 20 * time.Minute

type dataMigrationToolResource struct{ data *providerData }

func newDataMigrationToolResource() resource.Resource { return &dataMigrationToolResource{} }

func (r *dataMigrationToolResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_data_migration_tool"
	// The identity holds the SSH user and port where they are not the provider's, and
	// moving a shop's SSH port is an in-place update.
	resp.ResourceBehavior.MutableIdentity = true
}

func (r *dataMigrationToolResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = dataMigrationToolSchema(ctx)
}

func (r *dataMigrationToolResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *dataMigrationToolResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateSSH(ctx, req.Config, &resp.Diagnostics)
}

// runner connects to the resource's host (run_as applies per command, in the domain).
func (r *dataMigrationToolResource) runner(ctx context.Context, m *dataMigrationToolModel, diags *diag.Diagnostics) magento.Runner {
	return r.data.runner(ctx, m.Host.ValueString(), m.SSH, diags)
}

func (r *dataMigrationToolResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan dataMigrationToolModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	plan.LastBackup = types.StringNull()
	r.converge(ctx, &plan, req.Config, timeout, nil, resp.Identity, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	rememberOwed(ctx, resp.Private, false) // the apply ran any restore that was owed
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *dataMigrationToolResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state dataMigrationToolModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A new archive is planned for a change or for a restore an interrupted apply owes.
	archivePlanned := plan.LastBackup.IsUnknown()
	plan.LastBackup = state.LastBackup
	// Only settings changed (backup, run_as, composer_env, composer_auth_wo_version, ...):
	// nothing runs on the host.
	if !archivePlanned && !plan.Version.IsUnknown() && plan.Version.Equal(state.Version) {
		if conn, known := plan.connection(ctx, r.data, &resp.Diagnostics); known {
			plan.ID = types.StringValue(connectionID(conn, plan.MagentoRoot.ValueString())) // as planned: the connection's
			setIdentity(ctx, resp.Identity, plan.identity(conn, r.data.base), &resp.Diagnostics)
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	r.converge(ctx, &plan, req.Config, timeout, &state, resp.Identity, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	rememberOwed(ctx, resp.Private, false) // the apply ran any restore that was owed
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// converge brings the host in line with plan within timeout and records the result in
// plan. The pin comes from configuration: a planned version may just be the in-sync one.
// The host must still be as the plan saw it: Magento's version, and for an update the
// installed tool (prior, the state the plan was made from). The resource's identity
// goes to identity.
func (r *dataMigrationToolResource) converge(ctx context.Context, plan *dataMigrationToolModel, config tfsdk.Config, timeout time.Duration,
	prior *dataMigrationToolModel, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	auth, _ := r.composerAuth(ctx, config, diags) // known: apply has the whole configuration
	logged := r.data.logContext(ctx, auth)
	ctx, cancel := context.WithTimeout(logged, timeout)
	defer cancel()
	var pin types.String
	diags.Append(config.GetAttribute(ctx, path.Root(attrVersion), &pin)...)
	exec := plan.exec(ctx, auth, diags)
	params := magento.ConvergeParams{ChangeParams: plan.changeParams(ctx, diags), Pin: pin.ValueString()}
	if v := plan.MagentoVersion; !v.IsUnknown() && !v.IsNull() {
		params.ExpectMagento = v.ValueString()
	}
	if prior != nil && !prior.Version.IsUnknown() {
		params.ExpectInstalled, params.CheckInstalled = prior.Version.ValueString(), true
	}
	if v := plan.Version; !v.IsUnknown() && !v.IsNull() {
		params.PlannedTarget = v.ValueString() // resolved at plan time: no second listing
	}
	if v := plan.MagentoEdition; !v.IsUnknown() && !v.IsNull() {
		params.PlannedEdition = v.ValueString() // with the versions above: no read before the script
	}
	params.WaitForRelease = plan.OnMissingRelease.ValueString() != missingReleaseError
	if diags.HasError() {
		return
	}
	run := r.runner(ctx, plan, diags)
	if run == nil {
		return
	}
	r.data.reads.Forget(params.Root) // an answer read ahead would be stale after this
	started := time.Now()
	conn, _ := plan.connection(ctx, r.data, diags) // known: apply
	// Waiting for a turn on the host does not count against timeout: the timer stops
	// while the host says its slots are all held.
	turn := r.data.composerTurn(logged, conn, "composer require "+magento.Package+" in "+params.Root, timeout, started)
	params.BeforeComposer = func(context.Context) (context.Context, func(), error) { return turn.wait() }
	params.OnSlot, params.HostSlots = turn.news, r.data.hostSlots()
	inst, res, err := magento.Converge(ctx, run, exec, params)
	tflog.Debug(ctx, "converge finished", map[string]any{"magento_root": params.Root, "from": res.Previous,
		"installed": res.Installed, "archive": res.Archive, "duration": time.Since(started).String()})
	if res.Owner != "" {
		tflog.Info(ctx, "run_as is unset and the SSH user is root: the shop was touched as the owner of composer.json",
			map[string]any{"magento_root": params.Root, "owner": res.Owner})
	}
	for _, w := range res.Warnings {
		diags.AddWarning("Data Migration Tool Apply Warning", w)
	}
	if err != nil {
		addError(diags, err, "Upgrading the Data Migration Tool Failed")
		return
	}
	plan.setInstallation(inst)
	plan.ID = types.StringValue(connectionID(conn, params.Root))
	setIdentity(ctx, identity, plan.identity(conn, r.data.base), diags)
	if res.Archive != "" {
		plan.LastBackup = types.StringValue(res.Archive)
	}
}

func (r *dataMigrationToolResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state dataMigrationToolModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !state.RemoveOnDestroy.ValueBool() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	ctx = r.data.logContext(ctx)
	exec := state.exec(ctx, r.data.composerAuth, &resp.Diagnostics) // destroy has no configuration: no composer_auth_wo
	params := state.changeParams(ctx, &resp.Diagnostics)
	conn, _ := state.connection(ctx, r.data, &resp.Diagnostics) // known: state holds no unknowns
	if resp.Diagnostics.HasError() {
		return
	}
	// The turn on the host comes first: waiting for it does not count against timeout.
	turn := r.data.composerTurn(ctx, conn, "composer remove "+magento.Package+" in "+params.Root, timeout, time.Now())
	ctx, done, err := turn.wait()
	if err != nil {
		addError(&resp.Diagnostics, err, "Removing the Data Migration Tool Failed")
		return
	}
	defer done()
	params.OnSlot, params.HostSlots = turn.news, r.data.hostSlots()
	run := r.runner(ctx, &state, &resp.Diagnostics)
	if run == nil {
		return
	}
	r.data.reads.Forget(params.Root)
	res, err := magento.Remove(ctx, run, exec, params)
	for _, w := range res.Warnings {
		resp.Diagnostics.AddWarning("Data Migration Tool Removal Warning", w)
	}
	if err != nil {
		addError(&resp.Diagnostics, err, "Removing the Data Migration Tool Failed")
	}
}
