package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	lschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// fieldKind is the Terraform type of an ssh field.
type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindBool
	kindDuration
)

// sshField is one attribute of the `ssh` block. This one list builds the provider's
// schema (every field) and the per-resource override schema (non-secret fields only),
// so the two cannot drift apart.
type sshField struct {
	name         string
	kind         fieldKind
	providerOnly bool // secret content: provider configuration only, never state
	sensitive    bool
	required     bool
	desc         string
}

var sshFields = []sshField{
	{name: "user", desc: "Login user. Defaults to the local user name, as OpenSSH does."},
	{name: "port", kind: kindInt, desc: "SSH port. Defaults to `22`."},
	{name: "private_key", providerOnly: true, sensitive: true, desc: "Private key content (PEM or OpenSSH format), for example `file(\"~/.ssh/id_ed25519\")`. Conflicts with `private_key_file`."},
	{name: "private_key_file", desc: "Path of a private key file on the machine running Terraform. `~` expands to the home directory."},
	{name: "private_key_passphrase", providerOnly: true, sensitive: true, desc: "Passphrase of an encrypted private key."},
	{name: "certificate", providerOnly: true, desc: "OpenSSH user certificate (the `*-cert.pub` line) for the private key. Conflicts with `certificate_file`."},
	{name: "certificate_file", desc: "Path of an OpenSSH user certificate for the private key."},
	{name: "password", providerOnly: true, sensitive: true, desc: "Password for password or keyboard-interactive authentication."},
	{name: "agent", kind: kindBool, desc: "Use the keys of the ssh-agent at `SSH_AUTH_SOCK`. Defaults to `true` when `SSH_AUTH_SOCK` is set."},
	{name: "known_hosts_file", desc: "known_hosts file that host keys are verified against. Defaults to `~/.ssh/known_hosts`. Host key algorithms are negotiated from its entries."},
	{name: "host_key", desc: "Pin the host's public key (a line like `ssh-ed25519 AAAA...`) instead of using known_hosts."},
	{name: "insecure_ignore_host_key", kind: kindBool, desc: "Skip host key verification of the target host and of every jump host that has no `host_key` of its own. " +
		"Defaults to `false`; `true` is open to man-in-the-middle attacks and produces a warning."},
	{name: "connect_timeout", kind: kindDuration, desc: "How long to wait for the TCP connection and SSH handshake, as a Go duration. Defaults to `" + remote.DefaultConnectTimeout.String() + "`."},
	{name: "keepalive_interval", kind: kindDuration, desc: "Interval of SSH keepalive requests; a peer silent for three intervals is treated as gone. Defaults to `" + remote.DefaultKeepaliveInterval.String() + "`."},
	{name: "config_file", desc: configFileDesc},
}

const configFileDesc = "Path of an OpenSSH client config file (for example `~/.ssh/config`; `~` expands to the home directory) that every host is resolved through, " +
	"as OpenSSH 9.x resolves it: `Host` (`*`, `?`, `!`; the first value obtained wins) and `Match` with `host`, `originalhost`, `user`, `localuser` and `all`, " +
	"`Include`, `HostName`, `Port`, `User`, `IdentityFile` (every one; the default `~/.ssh/id_*` when none; `<IdentityFile>-cert.pub`; keys the ssh-agent holds, " +
	"also for an encrypted or `.pub` IdentityFile), `IdentitiesOnly`, `CertificateFile`, `UserKnownHostsFile` and `GlobalKnownHostsFile` (every file), `HostKeyAlias`, " +
	"`ProxyJump` (each jump host resolved through the file like the target), `ProxyCommand` (run locally through `sh -c` with `%h`, `%p`, `%r`, `%n` and `%%` expanded; " +
	"its stdin and stdout carry the connection; one per pooled connection, ended with it), `ConnectTimeout`, `ServerAliveInterval` and `ServerAliveCountMax` " +
	"(seconds or times such as `1m`); tokens and `${VAR}` in file names. `Match exec` and other `Match` criteria are refused naming the file and line; other keywords are ignored. " +
	"Settings written in Terraform win over the file. `StrictHostKeyChecking` in the file never turns host key checking off nor writes to a known_hosts file. " +
	"`host` and the resource id stay the alias as written. Unset, no file is read, so a configuration behaves the same on every machine; " +
	"the provider's value defaults to the `MAGENTO_SSH_CONFIG_FILE` environment variable."

// bastionBlockDesc describes the repeated `bastion` block inside `ssh`.
const bastionBlockDesc = "A jump host; repeat the block for a chain, connected in order: the first is dialled directly, each next one through the previous, " +
	"and the target through the last. Each hop's host key is verified. Unset fields inherit the connection's user, credentials and known_hosts file. " +
	"In a resource's or data source's `ssh` block, `bastion` blocks replace the provider's jump hosts; with none, the provider's apply."

// bastionFields are the attributes of one jump host; none is secret.
var bastionFields = []sshField{
	{name: "host", required: true, desc: "Host name or IP address of the jump host."},
	{name: "port", kind: kindInt, desc: "SSH port of the jump host. Defaults to `22`."},
	{name: "user", desc: "Login user on the jump host. Defaults to the connection's user."},
	{name: "private_key_file", desc: "Private key file for the jump host. Defaults to the connection's key and agent."},
	{name: "host_key", desc: "Pinned public key of the jump host, instead of known_hosts. It is checked even when `insecure_ignore_host_key = true`."},
	{name: "known_hosts_file", desc: "known_hosts file for the jump host. Defaults to the connection's."},
}

func (f sshField) stringValidators() []validator.String {
	switch {
	case f.kind == kindDuration:
		return []validator.String{durationString}
	case f.name == "private_key":
		return []validator.String{stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("private_key_file"))}
	case f.name == "certificate":
		return []validator.String{stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("certificate_file"))}
	case f.name == "user":
		return []validator.String{stringvalidator.LengthAtLeast(1)}
	}
	return nil
}

var portValidators = []validator.Int64{int64validator.Between(1, 65535)}

const (
	providerSSHDesc = "SSH connection defaults for every resource and data source. Resources and data sources may override the non-secret settings in their own `ssh` block. " +
		"Where this block does not set them, `private_key`, `user` and `config_file` are read from the environment variables `MAGENTO_SSH_PRIVATE_KEY`, `MAGENTO_SSH_USER` and `MAGENTO_SSH_CONFIG_FILE` (for CI systems that pass secrets that way)."
	overrideSSHDesc = "Overrides of the provider's non-secret `ssh` settings for this host; what is not written here comes from the provider. Secrets stay in the provider block."
)

// providerSSHBlock is the provider's `ssh` block: every field, secrets included.
func providerSSHBlock() pschema.Block {
	return pschema.SingleNestedBlock{MarkdownDescription: providerSSHDesc, Attributes: providerAttributes(sshFields, true),
		Blocks: map[string]pschema.Block{"bastion": pschema.ListNestedBlock{MarkdownDescription: bastionBlockDesc,
			NestedObject: pschema.NestedBlockObject{Attributes: providerAttributes(bastionFields, false)}}}}
}

// dataSourceSSHBlock is the data source's `ssh` block: non-secret overrides.
func dataSourceSSHBlock() dschema.Block {
	return dschema.SingleNestedBlock{MarkdownDescription: overrideSSHDesc, Attributes: dataSourceAttributes(sshFields),
		Blocks: map[string]dschema.Block{"bastion": dschema.ListNestedBlock{MarkdownDescription: bastionBlockDesc,
			NestedObject: dschema.NestedBlockObject{Attributes: dataSourceAttributes(bastionFields)}}}}
}

// resourceSSHBlock is the resource's `ssh` block: non-secret overrides, which live in
// state, so nothing secret may be here.
func resourceSSHBlock() rschema.Block {
	return rschema.SingleNestedBlock{MarkdownDescription: overrideSSHDesc, Attributes: resourceAttributes(sshFields),
		Blocks: map[string]rschema.Block{"bastion": rschema.ListNestedBlock{MarkdownDescription: bastionBlockDesc,
			NestedObject: rschema.NestedBlockObject{Attributes: resourceAttributes(bastionFields)}}}}
}

// The same field list rendered in each schema package (the framework gives each its
// own attribute types).
func providerAttributes(fields []sshField, withSecrets bool) map[string]pschema.Attribute {
	attrs := map[string]pschema.Attribute{}
	for _, f := range fields {
		if f.providerOnly && !withSecrets {
			continue
		}
		switch f.kind {
		case kindInt:
			attrs[f.name] = pschema.Int64Attribute{Optional: true, MarkdownDescription: f.desc, Validators: portValidators}
		case kindBool:
			attrs[f.name] = pschema.BoolAttribute{Optional: true, MarkdownDescription: f.desc}
		default:
			attrs[f.name] = pschema.StringAttribute{Required: f.required, Optional: !f.required, Sensitive: f.sensitive,
				MarkdownDescription: f.desc, Validators: f.stringValidators()}
		}
	}
	return attrs
}

func dataSourceAttributes(fields []sshField) map[string]dschema.Attribute {
	attrs := map[string]dschema.Attribute{}
	for _, f := range fields {
		if f.providerOnly {
			continue
		}
		switch f.kind {
		case kindInt:
			attrs[f.name] = dschema.Int64Attribute{Optional: true, MarkdownDescription: f.desc, Validators: portValidators}
		case kindBool:
			attrs[f.name] = dschema.BoolAttribute{Optional: true, MarkdownDescription: f.desc}
		default:
			attrs[f.name] = dschema.StringAttribute{Required: f.required, Optional: !f.required,
				MarkdownDescription: f.desc, Validators: f.stringValidators()}
		}
	}
	return attrs
}

func resourceAttributes(fields []sshField) map[string]rschema.Attribute {
	attrs := map[string]rschema.Attribute{}
	for _, f := range fields {
		if f.providerOnly {
			continue
		}
		switch f.kind {
		case kindInt:
			attrs[f.name] = rschema.Int64Attribute{Optional: true, MarkdownDescription: f.desc, Validators: portValidators}
		case kindBool:
			attrs[f.name] = rschema.BoolAttribute{Optional: true, MarkdownDescription: f.desc}
		default:
			attrs[f.name] = rschema.StringAttribute{Required: f.required, Optional: !f.required,
				MarkdownDescription: f.desc, Validators: f.stringValidators()}
		}
	}
	return attrs
}

// listSSHBlock is the list resource's ssh block: the resource's, so a result's ssh
// block is the one its generated resource needs.
func listSSHBlock() lschema.Block {
	return lschema.SingleNestedBlock{MarkdownDescription: overrideSSHDesc, Attributes: listAttributes(sshFields),
		Blocks: map[string]lschema.Block{"bastion": lschema.ListNestedBlock{MarkdownDescription: bastionBlockDesc,
			NestedObject: lschema.NestedBlockObject{Attributes: listAttributes(bastionFields)}}}}
}

func listAttributes(fields []sshField) map[string]lschema.Attribute {
	attrs := map[string]lschema.Attribute{}
	for _, f := range fields {
		if f.providerOnly {
			continue
		}
		switch f.kind {
		case kindInt:
			attrs[f.name] = lschema.Int64Attribute{Optional: true, MarkdownDescription: f.desc, Validators: portValidators}
		case kindBool:
			attrs[f.name] = lschema.BoolAttribute{Optional: true, MarkdownDescription: f.desc}
		default:
			attrs[f.name] = lschema.StringAttribute{Required: f.required, Optional: !f.required,
				MarkdownDescription: f.desc, Validators: f.stringValidators()}
		}
	}
	return attrs
}
