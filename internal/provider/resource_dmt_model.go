package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

type dataMigrationToolModel struct {
	ID               types.String   `tfsdk:"id"`
	Host             types.String   `tfsdk:"host"`
	MagentoRoot      types.String   `tfsdk:"magento_root"`
	SSH              types.Object   `tfsdk:"ssh"`
	Version          types.String   `tfsdk:"version"`
	RunAs            types.String   `tfsdk:"run_as"`
	PHP              types.String   `tfsdk:"php"`
	Composer         types.String   `tfsdk:"composer"`
	ComposerEnv      types.Map      `tfsdk:"composer_env"`
	Backup           *backupModel   `tfsdk:"backup"`
	PreservePaths    types.List     `tfsdk:"preserve_paths"`
	RemoveOnDestroy  types.Bool     `tfsdk:"remove_on_destroy"`
	CarryCustom      types.Bool     `tfsdk:"carry_custom_files"`
	OnMissingRelease types.String   `tfsdk:"on_missing_release"`
	ComposerAuthWO   types.String   `tfsdk:"composer_auth_wo"` // write-only: null in plan and state
	ComposerAuthWOV  types.Int64    `tfsdk:"composer_auth_wo_version"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
	MagentoVersion   types.String   `tfsdk:"magento_version"`
	MagentoEdition   types.String   `tfsdk:"magento_edition"`
	LastBackup       types.String   `tfsdk:"last_backup"`
}

type backupModel struct {
	Directory          types.String `tfsdk:"directory"`
	Keep               types.Int64  `tfsdk:"keep"`
	MagentoSetupBackup types.List   `tfsdk:"magento_setup_backup"`
}

// connection is the SSH configuration for this resource's host; known is false while
// some of it is not known yet (plan only).
func (m *dataMigrationToolModel) connection(ctx context.Context, d *providerData, diags *diag.Diagnostics) (c remote.Config, known bool) {
	c, _, known = d.connection(ctx, m.Host.ValueString(), m.SSH, diags)
	return c, known
}

// unknownExec names the settings of how php and composer run that are not known yet
// (plan only): nothing may run with defaults in their place.
func (m *dataMigrationToolModel) unknownExec() []string {
	var names []string
	for _, s := range []struct {
		name string
		v    types.String
	}{{attrRunAs, m.RunAs}, {attrPHP, m.PHP}, {attrComposer, m.Composer}} {
		if s.v.IsUnknown() {
			names = append(names, s.name)
		}
	}
	envUnknown := m.ComposerEnv.IsUnknown()
	for _, v := range m.ComposerEnv.Elements() {
		envUnknown = envUnknown || v.IsUnknown()
	}
	if envUnknown {
		names = append(names, "composer_env")
	}
	return names
}

// composerAuth is the COMPOSER_AUTH for one resource: its write-only composer_auth_wo,
// which only the configuration holds (never plan or state), else the provider's
// composer_auth. known is false while composer_auth_wo is not known yet (an ephemeral
// value at plan time). Terraform sends no configuration on destroy: Delete uses the
// provider's without asking here.
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

// exec is how php and composer run for this resource with the Composer credentials
// auth (never from state: see composerAuth).
func (m *dataMigrationToolModel) exec(ctx context.Context, auth string, diags *diag.Diagnostics) magento.Exec {
	e := magento.Exec{RunAs: m.RunAs.ValueString(), PHP: stringOr(m.PHP, "php"), Composer: stringOr(m.Composer, "composer"), Auth: auth}
	if !m.ComposerEnv.IsNull() && !m.ComposerEnv.IsUnknown() {
		diags.Append(m.ComposerEnv.ElementsAs(ctx, &e.Env, false)...)
	}
	return e
}

// changeParams turns the backup settings into the domain's parameters, with defaults.
func (m *dataMigrationToolModel) changeParams(ctx context.Context, diags *diag.Diagnostics) magento.ChangeParams {
	root := m.MagentoRoot.ValueString()
	p := magento.ChangeParams{Root: root, Keep: defaultKeep,
		CarryCustomFiles: m.CarryCustom.IsNull() || m.CarryCustom.IsUnknown() || m.CarryCustom.ValueBool()}
	if b := m.Backup; b != nil {
		if !b.Directory.IsNull() {
			p.BackupDir = b.Directory.ValueString()
		}
		if !b.Keep.IsNull() {
			p.Keep = int(b.Keep.ValueInt64())
		}
		if !b.MagentoSetupBackup.IsNull() {
			diags.Append(b.MagentoSetupBackup.ElementsAs(ctx, &p.SetupBackup, false)...)
		}
	}
	if !m.PreservePaths.IsNull() {
		diags.Append(m.PreservePaths.ElementsAs(ctx, &p.PreservePaths, false)...)
	}
	return p
}

// setInstallation copies what was read into the model.
func (m *dataMigrationToolModel) setInstallation(inst magento.Installation) {
	m.Version = optionalString(inst.DMTVersion)
	m.MagentoVersion = types.StringValue(inst.MagentoVersion)
	m.MagentoEdition = types.StringValue(inst.Edition)
}

// stringOr is v, or fallback when v is null, unknown or empty.
func stringOr(v types.String, fallback string) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return fallback
	}
	return v.ValueString()
}

// optionalString is s, or null when s is empty.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
