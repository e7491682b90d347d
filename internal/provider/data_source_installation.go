package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

var (
	_ datasource.DataSourceWithConfigure      = (*installationDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*installationDataSource)(nil)
)

// defaultReadTimeout bounds the data source's read, so a hung NFS root cannot hang a plan.
const defaultReadTimeout = 5 * time.Minute

type installationDataSource struct{ data *providerData }

func newInstallationDataSource() datasource.DataSource { return &installationDataSource{} }

type installationModel struct {
	ID                       types.String   `tfsdk:"id"`
	Host                     types.String   `tfsdk:"host"`
	MagentoRoot              types.String   `tfsdk:"magento_root"`
	SSH                      types.Object   `tfsdk:"ssh"`
	Timeouts                 timeouts.Value `tfsdk:"timeouts"`
	RunAs                    types.String   `tfsdk:"run_as"`
	PHP                      types.String   `tfsdk:"php"`
	Composer                 types.String   `tfsdk:"composer"`
	MagentoVersion           types.String   `tfsdk:"magento_version"`
	MagentoEdition           types.String   `tfsdk:"magento_edition"`
	DataMigrationToolVersion types.String   `tfsdk:"data_migration_tool_version"`
	PHPVersion               types.String   `tfsdk:"php_version"`
	ComposerVersion          types.String   `tfsdk:"composer_version"`
}

func (d *installationDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_installation"
}

func (d *installationDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = installationDataSourceSchema(ctx)
}

func installationDataSourceSchema(ctx context.Context) dschema.Schema {
	computed := func(desc string) dschema.StringAttribute {
		return dschema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	return dschema.Schema{
		MarkdownDescription: "Reads a Magento 2 installation over SSH: Magento's version and edition as Magento itself derives them " +
			"(from `composer.lock`), the installed Data Migration Tool, and the host's PHP and Composer versions. " +
			"It reads a few bytes of Composer's files and runs `php -v` and `composer --version`, in one SSH command; it does not boot Magento.",
		Blocks: map[string]dschema.Block{
			attrSSH: dataSourceSSHBlock(),
			"timeouts": timeouts.BlockWithOpts(ctx, timeouts.Opts{
				ReadDescription: timeoutDesc("the read (connect, read the root, `php -v`, `composer --version`)", defaultReadTimeout)}),
		},
		Attributes: map[string]dschema.Attribute{
			attrHost: dschema.StringAttribute{Required: true, MarkdownDescription: "Host name or IP address of the Magento server.", Validators: hostValidators},
			attrMagentoRoot: dschema.StringAttribute{Required: true, MarkdownDescription: "Absolute path of the Magento root (the directory holding `composer.json` and `bin/magento`), " +
				"in canonical form (no trailing slash, `//` or `/./`).",
				Validators: []validator.String{canonicalRootPath}},
			"run_as": dschema.StringAttribute{Optional: true, Validators: runAsValidators,
				MarkdownDescription: "OS user that reads the root and runs `php -v` and `composer --version`, through `sudo -n -u` " +
					"(for roots readable only by their owner; it never prompts, so the SSH user needs a passwordless sudo rule)."},
			"php": dschema.StringAttribute{Optional: true, Validators: commandValidators, MarkdownDescription: "PHP command on the host (e.g. `/opt/plesk/php/8.3/bin/php`). " +
				"When set, `composer --version` runs under it too when Composer is a PHP program (a `.phar`, or a `php` shebang). Defaults to `php`."},
			"composer":                    dschema.StringAttribute{Optional: true, MarkdownDescription: "Composer command on the host (a name on `PATH`, or a path, e.g. a `composer.phar`). Defaults to `composer`.", Validators: commandValidators},
			"id":                          computed("`ssh://user@host:port/magento/root`."),
			"magento_version":             computed("Magento's version as `bin/magento --version` prints it, e.g. `2.4.7-p3`."),
			"magento_edition":             computed("`community`, `enterprise` or `unknown`."),
			"data_migration_tool_version": computed("Installed version of `magento/data-migration-tool`; null when it is not installed."),
			"php_version":                 computed("Version of the host's PHP CLI, e.g. `8.2.20`."),
			"composer_version":            computed("Version of the host's Composer, e.g. `2.7.7`."),
		},
	}
}

func (d *installationDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *installationDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateSSH(ctx, req.Config, &resp.Diagnostics)
}

func (d *installationDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m installationModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := m.Timeouts.Read(ctx, defaultReadTimeout)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	ctx = d.data.logContext(ctx)
	c, _, known := d.data.connection(ctx, m.Host.ValueString(), m.SSH, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if known {
		// It runs `composer --version`: it takes a turn on the host, and waiting for
		// it does not count against the read's timeout.
		release, err := d.data.composerSlot(ctx, c, "composer --version in "+m.MagentoRoot.ValueString())
		if err != nil {
			addError(&resp.Diagnostics, err, "Reading the Magento Installation Failed")
			return
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	runner := d.data.runner(ctx, m.Host.ValueString(), m.SSH, &resp.Diagnostics)
	if runner == nil {
		return
	}
	tools := &magento.Tools{PHP: stringOr(m.PHP, "php"), Composer: stringOr(m.Composer, "composer")}
	inst, err := magento.Read(ctx, magento.RunAs(runner, m.RunAs.ValueString()), m.MagentoRoot.ValueString(), tools)
	if err != nil {
		addError(&resp.Diagnostics, err, "Reading the Magento Installation Failed")
		return
	}
	m.ID = types.StringValue(connectionID(c, m.MagentoRoot.ValueString()))
	m.MagentoVersion = types.StringValue(inst.MagentoVersion)
	m.MagentoEdition = types.StringValue(inst.Edition)
	m.DataMigrationToolVersion = optionalString(inst.DMTVersion)
	m.PHPVersion = optionalString(inst.PHPVersion)
	m.ComposerVersion = optionalString(inst.ComposerVersion)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
