package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magento-ops/terraform-provider-magento/internal/composerslots"
	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/rootmemory"
)

// providerData is what Configure hands to resources and data sources.
type providerData struct {
	base         remote.Config // provider defaults, secrets included
	composerAuth string
	connector    Connector
	reads        *magento.ReadBatcher   // resource reads of one host share commands
	sources      *magento.SourceBatcher // so do the release-source reads of drifted roots
	composerRuns *composerslots.Slots   // per_host_parallelism: Composer runs at once per machine, in this process
	sshUnknown   bool                   // the provider's ssh settings are not known until apply
	refreshed    sync.Map               // roots read by Read in this process: their plan lists releases afresh
	listings     sync.Map               // release listings of this process: "%p|digest" -> *releaseListing
	roots        *rootmemory.Memory     // roots read per host in the last run: read ahead
	sshBlocksMu  sync.Mutex
	sshBlocks    map[string]*sshOverrideModel // a known ssh block's String() -> the block decoded (see overridesOf)

	configFile string         // the provider's ssh config_file (or MAGENTO_SSH_CONFIG_FILE); "" = none
	written    remote.Written // what the provider's configuration (and environment) set: the file does not override it
	sshFilesMu sync.Mutex
	sshFiles   map[string]*remote.SSHConfigFile // parsed once per provider process
}

// readInstallation reads root on the host of c through run as runAs, batched with
// concurrent reads of the same host and user; the first read of a host also reads the
// roots it served in the last run. refresh says Read (not a create's plan) asks.
func (d *providerData) readInstallation(ctx context.Context, c remote.Config, run magento.Runner, runAs, root string, refresh bool) (magento.Installation, error) {
	key, memory := fmt.Sprintf("%p|%s", run, runAs), d.roots.File(ctx, c, runAs)
	// Every read arms it, so whichever read comes first takes the roots along (a no-op
	// once a command for key has gone).
	d.reads.ReadAhead(key, d.roots.Recall(memory))
	inst, err := d.reads.Read(ctx, key, magento.RunAs(run, runAs), root)
	if err == nil {
		d.roots.Note(memory, root, refresh)
	}
	return inst, err
}

// secretFieldKeys are log field names whose values are always masked.
var secretFieldKeys = []string{"private_key", "private_key_passphrase", "password", "composer_auth", "composer_auth_wo", "COMPOSER_AUTH"}

// logContext masks every secret this provider holds, and extra ones (a resource's
// write-only credentials), in all log output of ctx.
func (d *providerData) logContext(ctx context.Context, extra ...string) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFieldKeys...)
	var secrets []string
	for _, s := range append([]string{d.base.PrivateKey, d.base.PrivateKeyPassphrase, d.base.Password, d.composerAuth}, extra...) {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, secrets...)
		ctx = tflog.MaskMessageStrings(ctx, secrets...)
	}
	return ctx
}

// config merges the provider's defaults with a resource's overrides for host, then
// resolves host through the OpenSSH config file, if any, where neither set a value.
func (d *providerData) config(host string, overrides *sshOverrideModel) (remote.Config, error) {
	c := d.base
	c.Host = host
	overrides.applyTo(&c)
	file := d.configFile
	if overrides != nil && !overrides.ConfigFile.IsNull() {
		file = expandHome(overrides.ConfigFile.ValueString())
	}
	if file == "" {
		return c, nil
	}
	f, err := d.sshConfigFile(file)
	if err != nil {
		return c, err
	}
	return c, remote.ApplySSHConfig(&c, f, orWritten(d.written, overrides.written()), localUser())
}

// sshConfigFile parses an OpenSSH config file once per provider process.
func (d *providerData) sshConfigFile(path string) (*remote.SSHConfigFile, error) {
	d.sshFilesMu.Lock()
	defer d.sshFilesMu.Unlock()
	if f, ok := d.sshFiles[path]; ok {
		return f, nil
	}
	f, err := remote.LoadSSHConfig(path)
	if err != nil {
		return nil, err
	}
	if d.sshFiles == nil {
		d.sshFiles = map[string]*remote.SSHConfigFile{}
	}
	d.sshFiles[path] = f
	return f, nil
}

// connection is the configuration for host with a resource's or data source's ssh
// block. known is false while the provider's or the block's settings are not known yet.
func (d *providerData) connection(ctx context.Context, host string, ssh types.Object, diags *diag.Diagnostics) (c remote.Config, overrides *sshOverrideModel, known bool) {
	overrides, known = d.overridesOf(ctx, ssh, diags)
	if !known || d.sshUnknown {
		return remote.Config{}, nil, false
	}
	c, err := d.config(host, overrides)
	if err != nil {
		diags.AddAttributeError(path.Root(attrSSH).AtName("config_file"), "SSH Config File Not Usable",
			fmt.Sprintf("The OpenSSH config file could not be used for host %q. Fix the file or the config_file setting. Cause: %s", host, err))
		return remote.Config{}, nil, false
	}
	return c, overrides, true
}

// overridesOf decodes a resource's or data source's ssh block once per distinct block:
// a fleet's resources on one host repeat one, and decoding it reflects over every field
// (BenchmarkRead). The decoded blocks are shared, so never changed.
func (d *providerData) overridesOf(ctx context.Context, ssh types.Object, diags *diag.Diagnostics) (*sshOverrideModel, bool) {
	if ssh.IsNull() || ssh.IsUnknown() {
		return sshBlock[sshOverrideModel](ctx, ssh, diags)
	}
	key := ssh.String() // values quoted, keys sorted, "<unknown>" where unknown
	d.sshBlocksMu.Lock()
	m, ok := d.sshBlocks[key]
	d.sshBlocksMu.Unlock()
	if ok {
		return m, true
	}
	var decoded diag.Diagnostics
	m, known := sshBlock[sshOverrideModel](ctx, ssh, &decoded)
	diags.Append(decoded...)
	if known && !decoded.HasError() {
		d.sshBlocksMu.Lock()
		if d.sshBlocks == nil {
			d.sshBlocks = map[string]*sshOverrideModel{}
		}
		d.sshBlocks[key] = m
		d.sshBlocksMu.Unlock()
	}
	return m, known
}

// unknownSSHDetail says why a host cannot be reached yet.
const unknownSSHDetail = "Some ssh settings for this host (in the provider block or this block: a dynamic block, a jump host " +
	"or a value built from a resource not created yet) are not known until apply."

// connect returns a Runner on the pooled connection for c.
func (d *providerData) connect(ctx context.Context, c remote.Config) (magento.Runner, error) {
	tflog.Debug(ctx, "ssh connect", map[string]any{"address": c.Address(), "dial": c.DialAddress(), "user": c.User,
		"known_hosts_file": c.KnownHostsFile, "pinned_host_key": c.HostKey != "", "insecure": c.InsecureIgnoreHostKey,
		"config_file": c.ConfigFile, "proxy_command": c.ProxyCommand.Value != "", "bastions": len(c.Bastions)})
	r, err := d.connector.Connect(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s as %s: %w", c.Address(), c.User, err)
	}
	return r, nil
}

// runner connects to host with a resource's or data source's ssh block, warning at ssh
// when host keys go unchecked; on failure it adds the error and returns nil. It never
// connects with settings that are not known yet.
func (d *providerData) runner(ctx context.Context, host string, ssh types.Object, diags *diag.Diagnostics) magento.Runner {
	c, overrides, known := d.connection(ctx, host, ssh, diags)
	if diags.HasError() {
		return nil
	}
	if !known {
		diags.AddError("SSH Settings Not Known", unknownSSHDetail+" Nothing can be read on the host before then: "+
			"run terraform apply, or create what they depend on first (terraform apply -target=...).")
		return nil
	}
	return d.runnerFor(ctx, c, overrides, diags)
}

// runnerFor is runner for a connection already worked out (a read decodes the ssh
// block once).
func (d *providerData) runnerFor(ctx context.Context, c remote.Config, overrides *sshOverrideModel, diags *diag.Diagnostics) magento.Runner {
	if overrides != nil {
		warnInsecure(diags, path.Root(attrSSH), overrides.InsecureIgnoreHostKey)
	}
	run, err := d.connect(ctx, c)
	if err != nil {
		addError(diags, err, "SSH Connection Failed")
		return nil
	}
	return run
}

// validateSSH is the ValidateConfig of resources and data sources: the checks across
// attributes of their ssh block.
func validateSSH(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var obj types.Object
	diags.Append(config.GetAttribute(ctx, path.Root(attrSSH), &obj)...)
	if ssh, known := sshBlock[sshOverrideModel](ctx, obj, diags); known {
		ssh.validate(path.Root(attrSSH), diags)
	}
}

// providerDataFrom is the shared Configure of resources and data sources.
func providerDataFrom(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil // provider not configured yet (validation)
	}
	d, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the provider", raw))
		return nil
	}
	return d
}

func warnInsecure(diags *diag.Diagnostics, sshPath path.Path, insecure types.Bool) {
	if insecure.ValueBool() {
		diags.AddAttributeWarning(sshPath.AtName("insecure_ignore_host_key"), "Host Key Verification Disabled",
			"insecure_ignore_host_key = true accepts any host key of the target and of every jump host without a host_key of its own, "+
				"so a man-in-the-middle can read Composer credentials and change the code that is installed. "+
				"Add the hosts to known_hosts_file or pin host_key instead; a bastion's pinned host_key is still checked.")
	}
}
