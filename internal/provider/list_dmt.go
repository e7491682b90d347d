package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	lschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

var (
	_ list.ListResourceWithConfigure      = (*dataMigrationToolList)(nil)
	_ list.ListResourceWithValidateConfig = (*dataMigrationToolList)(nil)
)

// dataMigrationToolList finds the Magento roots on a host for `terraform query`: one
// result (an identity of magento_data_migration_tool) per root.
type dataMigrationToolList struct{ data *providerData }

func newDataMigrationToolList() list.ListResource { return &dataMigrationToolList{} }

type dataMigrationToolListModel struct {
	Host        types.String `tfsdk:"host"`
	SearchPaths []string     `tfsdk:"search_paths"`
	SSH         types.Object `tfsdk:"ssh"`
}

func (l *dataMigrationToolList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_data_migration_tool"
}

func (l *dataMigrationToolList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = lschema.Schema{
		MarkdownDescription: "Finds the Magento 2 roots on a host, for `terraform query` (Terraform 1.14 or later; OpenTofu has no list resources). " +
			"Each result is a `magento_data_migration_tool` identity, with Magento's version and edition and the tool's version in its display name; " +
			"`terraform query -generate-config-out=shops.tf` writes a resource and an `import` block for each, and `terraform plan` then shows the drift of the fleet. " +
			"One remote command per host, as the SSH user: it reads `composer.lock` and `vendor/composer/installed.json` of each directory the globs match " +
			"and never starts PHP or Composer. Directories that are not Magento 2 are skipped; one the SSH user cannot read is reported in a warning.",
		Attributes: map[string]lschema.Attribute{
			attrHost: lschema.StringAttribute{Required: true, Validators: hostValidators,
				MarkdownDescription: "Host name or IP address to search."},
			"search_paths": lschema.ListAttribute{Required: true, ElementType: types.StringType,
				Validators: []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueStringsAre(absolutePath)},
				MarkdownDescription: "Candidate roots as absolute paths with shell globs (`*`, `?`, `[...]`), such as `/var/www/*` or `/home/*/public_html`. " +
					"The host's shell expands them; nothing else in them is interpreted."},
		},
		Blocks: map[string]lschema.Block{attrSSH: listSSHBlock()},
	}
}

func (l *dataMigrationToolList) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *dataMigrationToolList) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	validateSSH(ctx, req.Config, &resp.Diagnostics)
}

func (l *dataMigrationToolList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	var cfg dataMigrationToolListModel
	if l.data == nil {
		diags.AddError("Provider Not Configured", "terraform query configures the provider before listing; this is a bug in the provider or the CLI.")
	}
	if diags.Append(req.Config.Get(ctx, &cfg)...); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	ctx = l.data.logContext(ctx)
	host := cfg.Host.ValueString()
	conn, _, _ := l.data.connection(ctx, host, cfg.SSH, &diags)
	run := l.data.runner(ctx, host, cfg.SSH, &diags)
	if run == nil {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	found, err := magento.Discover(ctx, run, cfg.SearchPaths)
	if err != nil {
		addError(&diags, err, "Searching for Magento Installations Failed")
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		pushed := int64(0)
		for _, f := range found {
			if req.Limit > 0 && pushed >= req.Limit {
				return
			}
			result := req.NewListResult(ctx)
			if f.Err != nil {
				result = list.ListResult{}
				result.Diagnostics.AddWarning("Magento Root Skipped", fmt.Sprintf("%s on %s: %s", f.Installation.Root, host, f.Err))
				if !push(result) {
					return
				}
				continue
			}
			inst := f.Installation
			tool := "not installed"
			if inst.DMTVersion != "" {
				tool = inst.DMTVersion
			}
			result.DisplayName = fmt.Sprintf("%s:%s (Magento %s %s, Data Migration Tool %s)", host, inst.Root, inst.MagentoVersion, inst.Edition, tool)
			setIdentity(ctx, result.Identity, identityFor(conn, l.data.base, host, inst.Root), &result.Diagnostics)
			if req.IncludeResource {
				// Only what a configuration sets: the generated resource follows Magento
				// (no version pin) and uses the schema's defaults.
				for p, v := range map[string]any{attrHost: host, attrMagentoRoot: inst.Root, attrSSH: cfg.SSH,
					attrID: connectionID(conn, inst.Root), attrMagentoVersion: inst.MagentoVersion, attrMagentoEdition: inst.Edition} {
					result.Diagnostics.Append(result.Resource.SetAttribute(ctx, path.Root(p), v)...)
				}
			}
			if !push(result) {
				return
			}
			pushed++
		}
	}
}
