package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// fieldKind is the Terraform type of an ssh field.
type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindBool
	kindDuration
	kindBastions
)

// sshField is one attribute of the `ssh` object. This one list builds the provider's
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
	{name: "insecure_ignore_host_key", kind: kindBool, desc: "Skip host key verification. Defaults to `false`; `true` is open to man-in-the-middle attacks and produces a warning."},
	{name: "connect_timeout", kind: kindDuration, desc: "How long to wait for the TCP connection and SSH handshake, as a Go duration. Defaults to `30s`."},
	{name: "keepalive_interval", kind: kindDuration, desc: "Interval of SSH keepalive requests; a peer silent for three intervals is treated as gone. Defaults to `15s`."},
	{name: "bastions", kind: kindBastions, desc: "Jump hosts, connected in order: the first is dialled directly, each next one through the previous, and the target through the last. " +
		"Each hop's host key is verified. Unset fields inherit the connection's user, credentials and known_hosts file."},
}

// bastionFields are the attributes of one jump host; none is secret.
var bastionFields = []sshField{
	{name: "host", required: true, desc: "Host name or IP address of the jump host."},
	{name: "port", kind: kindInt, desc: "SSH port of the jump host. Defaults to `22`."},
	{name: "user", desc: "Login user on the jump host. Defaults to the connection's user."},
	{name: "private_key_file", desc: "Private key file for the jump host. Defaults to the connection's key and agent."},
	{name: "host_key", desc: "Pinned public key of the jump host, instead of known_hosts."},
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

// providerSSHAttributes is the provider's `ssh` object: every field.
func providerSSHAttributes() map[string]pschema.Attribute { return providerAttributes(sshFields, true) }

// dataSourceSSHAttributes is the data source's `ssh` object: non-secret overrides.
func dataSourceSSHAttributes() map[string]dschema.Attribute { return dataSourceAttributes(sshFields) }

// resourceSSHAttributes is the resource's `ssh` object: non-secret overrides, which
// live in state, so nothing secret may be here.
func resourceSSHAttributes() map[string]rschema.Attribute { return resourceAttributes(sshFields) }

// The same field list rendered in each schema package (the framework gives each its
// own attribute types); bastions nest bastionFields.
func providerAttributes(fields []sshField, withSecrets bool) map[string]pschema.Attribute {
	attrs := map[string]pschema.Attribute{}
	for _, f := range fields {
		if f.providerOnly && !withSecrets {
			continue
		}
		switch f.kind {
		case kindBastions:
			attrs[f.name] = pschema.ListNestedAttribute{Optional: true, MarkdownDescription: f.desc,
				NestedObject: pschema.NestedAttributeObject{Attributes: providerAttributes(bastionFields, false)}}
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
		case kindBastions:
			attrs[f.name] = dschema.ListNestedAttribute{Optional: true, MarkdownDescription: f.desc,
				NestedObject: dschema.NestedAttributeObject{Attributes: dataSourceAttributes(bastionFields)}}
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
		case kindBastions:
			attrs[f.name] = rschema.ListNestedAttribute{Optional: true, MarkdownDescription: f.desc,
				NestedObject: rschema.NestedAttributeObject{Attributes: resourceAttributes(bastionFields)}}
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
