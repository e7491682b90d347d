// Package provider is the Terraform glue: schemas, models to and from the domain, and
// diagnostics. Work happens in internal/magento over internal/remote.
package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/composerslots"
	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/rootmemory"
)

var (
	_ provider.Provider                  = (*magentoProvider)(nil)
	_ provider.ProviderWithFunctions     = (*magentoProvider)(nil)
	_ provider.ProviderWithListResources = (*magentoProvider)(nil)
)

// Connector hands out a Runner for a host. The real one shares SSH connections through
// a pool; tests may inject another.
type Connector interface {
	Connect(ctx context.Context, c remote.Config) (magento.Runner, error)
}

type poolConnector struct{ pool *remote.Pool }

func (p poolConnector) Connect(ctx context.Context, c remote.Config) (magento.Runner, error) {
	return p.pool.Get(ctx, c)
}

type magentoProvider struct {
	version   string
	connector Connector
	roots     *rootmemory.Memory // the process's; nil: a memory of this provider's own
}

// New returns the provider factory; each provider instance gets its own connection pool.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &magentoProvider{version: version, connector: poolConnector{remote.NewPool()}}
	}
}

// NewWithPool returns a factory whose providers share pool and roots (main's, so it can
// report the pool's statistics and save the roots read when the process ends).
func NewWithPool(version string, pool *remote.Pool, roots *rootmemory.Memory) func() provider.Provider {
	return func() provider.Provider {
		return &magentoProvider{version: version, connector: poolConnector{pool}, roots: roots}
	}
}

type providerModel struct {
	SSH                types.Object `tfsdk:"ssh"`
	ComposerAuth       types.String `tfsdk:"composer_auth"`
	PerHostParallelism types.Int64  `tfsdk:"per_host_parallelism"`
}

// defaultPerHostParallelism is how many Composer runs share one host when the
// provider block does not say: one Composer on a Magento root takes a core and 1-2 GB.
const defaultPerHostParallelism = 2

func (p *magentoProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "magento"
	resp.Version = p.version
}

func (p *magentoProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{
		MarkdownDescription: "Keeps the Magento 2 Data Migration Tool in step with Magento over SSH. " +
			"Secrets (keys, passwords, Composer credentials) live only here, in provider configuration, which Terraform never writes to state.",
		Blocks: map[string]pschema.Block{attrSSH: providerSSHBlock()},
		Attributes: map[string]pschema.Attribute{
			"composer_auth": pschema.StringAttribute{
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{composerAuthJSON},
				MarkdownDescription: "JSON for Composer's `COMPOSER_AUTH`, usually the repo.magento.com keys: " +
					"`{\"http-basic\":{\"repo.magento.com\":{\"username\":\"<public key>\",\"password\":\"<private key>\"}}}`. " +
					"It reaches the host on the SSH session's standard input, never in a command line, environment request, log or state. " +
					"Defaults to the environment variable `MAGENTO_COMPOSER_AUTH`; the local `COMPOSER_AUTH` is never forwarded to hosts.",
			},
			"per_host_parallelism": pschema.Int64Attribute{
				Optional:   true,
				Validators: []validator.Int64{int64validator.AtLeast(1)},
				MarkdownDescription: fmt.Sprintf("How many Composer runs may go on at once on one machine. Defaults to `%d`. "+
					"Composer on a Magento root takes a core and 1-2 GB for tens of seconds, and `terraform apply -parallelism` knows "+
					"nothing of hosts: a fleet of drifted shops on one web node would otherwise start up to 10 at once.\n\n"+
					"The limit holds across Terraform runs: an upgrade, a removal or a plan's release listing takes one of this many slots on the host, in the "+
					"SSH user's private state directory (`slots/` beside the roots' directories), so two pipelines applying to one web "+
					"node together never run more Composers at once (each run uses its own value: the largest wins). A slot of an apply "+
					"that is gone (killed with its Terraform run, or the host rebooted) is freed by the lock's liveness rule; a "+
					"Composer it left running keeps the slot until it ends. An upgrade or removal checks its shop and backs it up before it waits, beside "+
					"other roots' Composers, and holds the slot for `setup:backup` and Composer only; a shop that changed during the wait "+
					"(Magento upgraded, or anything the backup holds edited) is left as it is, and the apply stops. Within one run, the "+
					"`magento_installation` data source's `composer --version` takes turns with the plan's release listings.\n\n"+
					"A machine is the address dialled (the HostName a `config_file` gives, and port) and the way there (jump hosts, "+
					"`ProxyCommand`): two aliases of one host share its slots, one private address behind two bastions is two machines. "+
					"Waiting is logged at INFO, naming who holds the slots on the host (`waiting for a Composer slot on web1: "+
					"per_host_parallelism = 2, held by PID 4242 on web1 since 2026-12-07T06:00:00Z, ...`). The wait does not count "+
					"against a resource's `timeouts`, and cancelling (Ctrl-C) ends it with nothing changed. Reads (one batched command "+
					"per host) are not limited.", defaultPerHostParallelism),
			},
		},
	}
}

func (p *magentoProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	perHost := int64(defaultPerHostParallelism)
	if v := cfg.PerHostParallelism; !v.IsNull() && !v.IsUnknown() {
		perHost = v.ValueInt64() // at least 1: checked by its validator
	}
	data := &providerData{base: defaultSSHConfig(), connector: p.connector, reads: magento.NewReadBatcher(), sources: magento.NewSourceBatcher(), composerRuns: composerslots.New(int(perHost)), roots: p.roots}
	if data.roots == nil {
		data.roots = rootmemory.New()
	}
	ssh, known := sshBlock[sshProviderModel](ctx, cfg.SSH, &resp.Diagnostics)
	switch {
	case resp.Diagnostics.HasError():
		return
	case !known:
		// Values from resources not yet created: resources defer until apply, when
		// Terraform configures the provider again with them known.
		data.sshUnknown = true
	case ssh != nil:
		if ssh.validate(path.Root(attrSSH), &resp.Diagnostics); resp.Diagnostics.HasError() {
			return
		}
		ssh.applyTo(&data.base)
		data.written = ssh.written()
		if v := ssh.ConfigFile; !v.IsNull() {
			data.configFile = expandHome(v.ValueString())
		}
		warnInsecure(&resp.Diagnostics, path.Root(attrSSH), ssh.InsecureIgnoreHostKey)
	}
	if v := cfg.ComposerAuth; !v.IsNull() && !v.IsUnknown() {
		data.composerAuth = v.ValueString() // JSON: checked by its validator
	}
	if known {
		applyEnvironment(data, cfg.ComposerAuth.IsNull(), &resp.Diagnostics)
	}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.ListResourceData = data
}

func (p *magentoProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{newDataMigrationToolList}
}

func (p *magentoProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newInstallationDataSource}
}

func (p *magentoProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{newDataMigrationToolVersionFunction}
}

func (p *magentoProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newDataMigrationToolResource}
}
