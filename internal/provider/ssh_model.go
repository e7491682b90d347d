package provider

import (
	"context"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// sshOverrideModel is the non-secret part of `ssh`, allowed per resource (and in state).
type sshOverrideModel struct {
	User                  types.String   `tfsdk:"user"`
	Port                  types.Int64    `tfsdk:"port"`
	PrivateKeyFile        types.String   `tfsdk:"private_key_file"`
	CertificateFile       types.String   `tfsdk:"certificate_file"`
	Agent                 types.Bool     `tfsdk:"agent"`
	KnownHostsFile        types.String   `tfsdk:"known_hosts_file"`
	HostKey               types.String   `tfsdk:"host_key"`
	InsecureIgnoreHostKey types.Bool     `tfsdk:"insecure_ignore_host_key"`
	ConnectTimeout        types.String   `tfsdk:"connect_timeout"`
	KeepaliveInterval     types.String   `tfsdk:"keepalive_interval"`
	ConfigFile            types.String   `tfsdk:"config_file"`
	Bastions              []bastionModel `tfsdk:"bastion"`
}

type bastionModel struct {
	Host           types.String `tfsdk:"host"`
	Port           types.Int64  `tfsdk:"port"`
	User           types.String `tfsdk:"user"`
	PrivateKeyFile types.String `tfsdk:"private_key_file"`
	HostKey        types.String `tfsdk:"host_key"`
	KnownHostsFile types.String `tfsdk:"known_hosts_file"`
}

// sshProviderModel is the provider's `ssh`: the overrides plus secret content.
type sshProviderModel struct {
	sshOverrideModel
	PrivateKey           types.String `tfsdk:"private_key"`
	PrivateKeyPassphrase types.String `tfsdk:"private_key_passphrase"`
	Certificate          types.String `tfsdk:"certificate"`
	Password             types.String `tfsdk:"password"`
}

// sshBlock converts an ssh block's value. known is false while the block or any value
// in it is unknown (a dynamic block over a collection computed at apply, a jump host
// built from a resource that does not exist yet): connecting with what is known would
// silently use defaults for the rest.
func sshBlock[T any](ctx context.Context, obj types.Object, diags *diag.Diagnostics) (m *T, known bool) {
	if obj.IsNull() {
		return nil, true
	}
	if v, err := obj.ToTerraformValue(ctx); err != nil || !v.IsFullyKnown() {
		return nil, false
	}
	m = new(T)
	diags.Append(obj.As(ctx, m, basetypes.ObjectAsOptions{})...)
	return m, true
}

// defaultSSHConfig is what OpenSSH would use with no configuration at all.
func defaultSSHConfig() remote.Config {
	c := remote.Config{
		Port:              remote.DefaultPort,
		User:              localUser(),
		KnownHostsFile:    expandHome("~/.ssh/known_hosts"),
		ConnectTimeout:    remote.DefaultConnectTimeout,
		KeepaliveInterval: remote.DefaultKeepaliveInterval,
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		c.Agent, c.AgentSocket = true, sock
	}
	return c
}

func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// applyTo overlays the set fields on c. Durations were validated at plan time.
func (m *sshOverrideModel) applyTo(c *remote.Config) {
	if m == nil {
		return
	}
	setString(&c.User, m.User)
	if !m.Port.IsNull() && !m.Port.IsUnknown() {
		c.Port = int(m.Port.ValueInt64())
	}
	if v := m.PrivateKeyFile; !v.IsNull() && !v.IsUnknown() {
		c.PrivateKeyFile, c.PrivateKey = expandHome(v.ValueString()), ""
	}
	if v := m.CertificateFile; !v.IsNull() && !v.IsUnknown() {
		c.CertificateFile, c.Certificate = expandHome(v.ValueString()), ""
	}
	if !m.Agent.IsNull() && !m.Agent.IsUnknown() {
		c.Agent = m.Agent.ValueBool()
		if c.Agent && c.AgentSocket == "" {
			c.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
		}
	}
	if v := m.KnownHostsFile; !v.IsNull() && !v.IsUnknown() {
		c.KnownHostsFile = expandHome(v.ValueString())
	}
	if v := m.HostKey; !v.IsNull() && !v.IsUnknown() {
		c.HostKey, c.InsecureIgnoreHostKey = v.ValueString(), false
	}
	if !m.InsecureIgnoreHostKey.IsNull() && !m.InsecureIgnoreHostKey.IsUnknown() {
		c.InsecureIgnoreHostKey = m.InsecureIgnoreHostKey.ValueBool()
		if c.InsecureIgnoreHostKey {
			c.HostKey = ""
		}
	}
	setDuration(&c.ConnectTimeout, m.ConnectTimeout)
	setDuration(&c.KeepaliveInterval, m.KeepaliveInterval)
	// A list of blocks is never null: no bastion blocks here means the provider's apply.
	if len(m.Bastions) > 0 {
		c.Bastions = make([]remote.Bastion, len(m.Bastions))
		for i, b := range m.Bastions {
			c.Bastions[i] = remote.Bastion{Host: b.Host.ValueString(), Port: int(b.Port.ValueInt64()), User: b.User.ValueString(),
				PrivateKeyFile: expandHome(b.PrivateKeyFile.ValueString()), HostKey: b.HostKey.ValueString(),
				KnownHostsFile: expandHome(b.KnownHostsFile.ValueString())}
		}
	}
}

// written says which settings the block sets, so an OpenSSH config file does not
// override them.
func (m *sshOverrideModel) written() remote.Written {
	if m == nil {
		return remote.Written{}
	}
	set := func(v interface{ IsNull() bool }) bool { return !v.IsNull() }
	return remote.Written{User: set(m.User), Port: set(m.Port), PrivateKey: set(m.PrivateKeyFile), Certificate: set(m.CertificateFile),
		KnownHosts: set(m.KnownHostsFile), HostKey: set(m.HostKey) || m.InsecureIgnoreHostKey.ValueBool(), Bastions: len(m.Bastions) > 0,
		ConnectTimeout: set(m.ConnectTimeout), Keepalive: set(m.KeepaliveInterval)}
}

// written is the override's written plus the provider's secret content.
func (m *sshProviderModel) written() remote.Written {
	if m == nil {
		return remote.Written{}
	}
	w := m.sshOverrideModel.written()
	w.PrivateKey = w.PrivateKey || !m.PrivateKey.IsNull()
	w.Certificate = w.Certificate || !m.Certificate.IsNull()
	return w
}

// orWritten merges what two levels of configuration wrote.
func orWritten(a, b remote.Written) remote.Written {
	return remote.Written{User: a.User || b.User, Port: a.Port || b.Port, PrivateKey: a.PrivateKey || b.PrivateKey,
		Certificate: a.Certificate || b.Certificate, KnownHosts: a.KnownHosts || b.KnownHosts, HostKey: a.HostKey || b.HostKey,
		Bastions: a.Bastions || b.Bastions, ConnectTimeout: a.ConnectTimeout || b.ConnectTimeout, Keepalive: a.Keepalive || b.Keepalive}
}

// applyTo overlays the provider's fields, secrets included, on c.
func (m *sshProviderModel) applyTo(c *remote.Config) {
	if m == nil {
		return
	}
	setString(&c.PrivateKey, m.PrivateKey)
	setString(&c.PrivateKeyPassphrase, m.PrivateKeyPassphrase)
	setString(&c.Certificate, m.Certificate)
	setString(&c.Password, m.Password)
	m.sshOverrideModel.applyTo(c)
}

func setString(dst *string, v types.String) {
	if !v.IsNull() && !v.IsUnknown() {
		*dst = v.ValueString()
	}
}

func setDuration(dst *time.Duration, v types.String) {
	if v.IsNull() || v.IsUnknown() {
		return
	}
	if d, err := time.ParseDuration(v.ValueString()); err == nil {
		*dst = d
	}
}

// validate reports host_key set together with insecure_ignore_host_key = true.
func (m *sshOverrideModel) validate(at path.Path, diags *diag.Diagnostics) {
	if m != nil && !m.HostKey.IsNull() && m.InsecureIgnoreHostKey.ValueBool() {
		diags.AddAttributeError(at.AtName("host_key"), "Conflicting Host Key Settings",
			"host_key pins the host's key while insecure_ignore_host_key = true skips the check. Remove one of them.")
	}
}

// connectionID is the resource ID and import ID: ssh://user@host:port/magento/root,
// a URL, so a root holding spaces, %, #, ? or non-ASCII is percent-encoded and
// parseImportID gives it back unchanged.
func connectionID(c remote.Config, root string) string {
	return (&url.URL{Scheme: "ssh", User: url.User(c.User), Host: c.Address(), Path: root}).String()
}
