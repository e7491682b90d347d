package remote

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
)

// SSHConfigFile is a parsed OpenSSH client configuration (ssh_config(5)).
type SSHConfigFile struct {
	Path string
	cfg  *ssh_config.Config
}

// LoadSSHConfig parses the file at path; Include directives are followed as OpenSSH
// does (relative paths under ~/.ssh).
func LoadSSHConfig(path string) (*SSHConfigFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ssh config_file: %w", err)
	}
	cfg, err := ssh_config.DecodeBytes(b)
	if err != nil {
		return nil, fmt.Errorf("parsing ssh config_file %s: %w", path, err)
	}
	return &SSHConfigFile{Path: path, cfg: cfg}, nil
}

// Setting is one value obtained from the file, with where it was written.
type Setting struct {
	Value  string
	Source string // "path line N", or "path (through Include at line N)"
}

// HostSettings are the settings the file gives one host alias: the first obtained
// value of each keyword, all values of IdentityFile and CertificateFile (duplicates
// merged). Empty fields were not set.
type HostSettings struct {
	Alias                string
	HostName             Setting
	Port                 Setting
	User                 Setting
	IdentityFiles        []Setting
	CertificateFiles     []Setting
	IdentitiesOnly       Setting
	UserKnownHostsFile   Setting // a list of files, as written
	GlobalKnownHostsFile Setting // a list of files, as written
	HostKeyAlias         Setting
	ProxyJump            Setting // or ProxyCommand: whichever came first, as in OpenSSH
	ProxyCommand         Setting
	ConnectTimeout       Setting
	ServerAliveInterval  Setting
	ServerAliveCountMax  Setting
}

// Lookup resolves alias through the file as OpenSSH does: Host blocks in order,
// patterns with wildcards and negation, several per line, the first value wins.
func (f *SSHConfigFile) Lookup(alias string) HostSettings {
	s := HostSettings{Alias: alias}
	for key, dst := range map[string]*Setting{
		"HostName": &s.HostName, "Port": &s.Port, "User": &s.User, "IdentitiesOnly": &s.IdentitiesOnly,
		"UserKnownHostsFile": &s.UserKnownHostsFile, "GlobalKnownHostsFile": &s.GlobalKnownHostsFile,
		"HostKeyAlias": &s.HostKeyAlias, "ProxyJump": &s.ProxyJump,
		"ProxyCommand": &s.ProxyCommand, "ConnectTimeout": &s.ConnectTimeout,
		"ServerAliveInterval": &s.ServerAliveInterval, "ServerAliveCountMax": &s.ServerAliveCountMax,
	} {
		if all := f.values(alias, key, true); len(all) > 0 {
			*dst = all[0]
		}
	}
	s.IdentityFiles = mergeDuplicates(f.values(alias, "IdentityFile", false))
	s.CertificateFiles = mergeDuplicates(f.values(alias, "CertificateFile", false))
	// ProxyJump and ProxyCommand are one option in OpenSSH: the first one obtained wins.
	if s.ProxyJump.Value != "" && s.ProxyCommand.Value != "" {
		if f.firstOf(alias, "ProxyJump", "ProxyCommand") == "proxyjump" {
			s.ProxyCommand = Setting{}
		} else {
			s.ProxyJump = Setting{}
		}
	}
	if strings.EqualFold(s.ProxyJump.Value, "none") {
		s.ProxyJump = Setting{}
	}
	if strings.EqualFold(s.ProxyCommand.Value, "none") {
		s.ProxyCommand = Setting{}
	}
	return s
}

// mergeDuplicates keeps the first of settings with the same value, as OpenSSH does
// for IdentityFile and CertificateFile.
func mergeDuplicates(in []Setting) []Setting {
	var out []Setting
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s.Value] {
			seen[s.Value] = true
			out = append(out, s)
		}
	}
	return out
}

// values lists key's values for alias in file order, with their sources; first stops
// at the first.
func (f *SSHConfigFile) values(alias, key string, first bool) []Setting {
	var out []Setting
	for _, h := range f.cfg.Hosts {
		if !h.Matches(alias) {
			continue
		}
		for _, n := range h.Nodes {
			switch t := n.(type) {
			case *ssh_config.KV:
				if strings.EqualFold(t.Key, key) {
					out = append(out, Setting{Value: t.Value, Source: fmt.Sprintf("%s line %d", f.Path, t.Pos().Line)})
				}
			case *ssh_config.Include:
				from := fmt.Sprintf("%s (through Include at line %d)", f.Path, t.Pos().Line)
				vals, _ := t.GetAll(alias, key)
				for _, v := range vals {
					out = append(out, Setting{Value: v, Source: from})
				}
			}
			if first && len(out) > 0 {
				return out
			}
		}
	}
	return out
}

// firstOf says which of the keys (lower case) appears first for alias.
func (f *SSHConfigFile) firstOf(alias string, keys ...string) string {
	for _, h := range f.cfg.Hosts {
		if !h.Matches(alias) {
			continue
		}
		for _, n := range h.Nodes {
			for _, k := range keys {
				switch t := n.(type) {
				case *ssh_config.KV:
					if strings.EqualFold(t.Key, k) {
						return strings.ToLower(k)
					}
				case *ssh_config.Include:
					if t.Get(alias, k) != "" {
						return strings.ToLower(k)
					}
				}
			}
		}
	}
	return ""
}

// Written says which Config fields the Terraform configuration set; those win over
// the file.
type Written struct {
	User, Port, PrivateKey, Certificate, KnownHosts, HostKey, Bastions, ConnectTimeout, Keepalive bool
}

// ApplySSHConfig overlays the file's settings for c.Host (the alias as written) on c,
// leaving alone what Terraform wrote. c.Host stays the alias; the host dialled becomes
// HostName. localUser is the user name for %u, and the user of a jump host whose
// entry names none.
func ApplySSHConfig(c *Config, f *SSHConfigFile, written Written, localUser string) error {
	s := f.Lookup(c.Host)
	c.ConfigFile = f.Path
	if s.HostName.Value != "" {
		c.HostName = ExpandTokens(s.HostName.Value, Tokens{Host: c.Host, Alias: c.Host})
	}
	if s.Port.Value != "" && !written.Port {
		p, err := parsePort(s.Port)
		if err != nil {
			return err
		}
		c.Port = p
		c.sources = c.sources.with("port", s.Port.Source)
	}
	if s.User.Value != "" && !written.User {
		c.User = s.User.Value
		c.sources = c.sources.with("user", s.User.Source)
	}
	if s.HostKeyAlias.Value != "" && !written.HostKey {
		c.HostKeyAlias = s.HostKeyAlias.Value
	}
	tok := Tokens{Host: c.dialHost(), Port: c.port(), User: c.User, Alias: c.Host, LocalUser: localUser,
		HostKeyAlias: c.HostKeyAlias, ProxyJump: s.ProxyJump.Value}
	if !written.PrivateKey {
		ids, certs, err := identities(s, tok)
		if err != nil {
			return err
		}
		c.IdentityFiles, c.IdentitiesOnly = ids, strings.EqualFold(s.IdentitiesOnly.Value, "yes")
		if len(certs) > 0 && !written.Certificate {
			c.CertificateFile, c.Certificate = certs[0].Value, ""
			c.sources = c.sources.with("certificate_file", certs[0].Source)
		}
	}
	if !written.KnownHosts {
		files, err := knownHostsFiles(s, tok)
		if err != nil {
			return err
		}
		c.KnownHostsFile, c.KnownHostsFiles = files[0], files[1:]
		if s.UserKnownHostsFile.Value != "" {
			c.sources = c.sources.with("known_hosts_file", s.UserKnownHostsFile.Source)
		}
	}
	if !written.Bastions {
		if s.ProxyJump.Value != "" {
			jumps, err := f.resolveJumps(s.ProxyJump, localUser, 0)
			if err != nil {
				return err
			}
			c.Bastions = jumps
		}
		if s.ProxyCommand.Value != "" {
			c.ProxyCommand = s.ProxyCommand
		}
	}
	return applyTimeouts(c, s, written)
}

func applyTimeouts(c *Config, s HostSettings, written Written) error {
	if s.ConnectTimeout.Value != "" && !written.ConnectTimeout {
		d, err := parseSeconds(s.ConnectTimeout)
		if err != nil || d < time.Second {
			return fmt.Errorf("ssh config file: ConnectTimeout %q (%s) is not a time of a second or more", s.ConnectTimeout.Value, s.ConnectTimeout.Source)
		}
		c.ConnectTimeout = d
	}
	if s.ServerAliveInterval.Value != "" && !written.Keepalive {
		d, err := parseSeconds(s.ServerAliveInterval)
		if err != nil {
			return err
		}
		c.KeepaliveInterval = d
		if d == 0 {
			c.KeepaliveInterval = -1 // OpenSSH: 0 turns keepalives off
		}
	}
	if s.ServerAliveCountMax.Value != "" && !written.Keepalive {
		n, err := strconv.Atoi(s.ServerAliveCountMax.Value)
		if err != nil || n < 1 {
			return fmt.Errorf("ssh config file: ServerAliveCountMax %q (%s) is not a positive number", s.ServerAliveCountMax.Value, s.ServerAliveCountMax.Source)
		}
		c.KeepaliveCountMax = n
	}
	return nil
}

// parseProxyJump reads "[user@]host[:port],..." into bastions, in order.
func parseProxyJump(s Setting) ([]Bastion, error) {
	var out []Bastion
	for _, hop := range strings.Split(s.Value, ",") {
		hop = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(hop), "ssh://"))
		var b Bastion
		if at := strings.LastIndex(hop, "@"); at >= 0 {
			b.User, hop = hop[:at], hop[at+1:]
		}
		b.Host = hop
		if i := strings.LastIndex(hop, ":"); i >= 0 && !strings.Contains(hop[:i], ":") {
			p, err := strconv.Atoi(hop[i+1:])
			if err != nil || p < 1 || p > 65535 {
				return nil, fmt.Errorf("ssh config file: ProxyJump %q (%s): %q is not a TCP port", s.Value, s.Source, hop[i+1:])
			}
			b.Host, b.Port = hop[:i], p
		}
		b.Host = strings.Trim(b.Host, "[]")
		if b.Host == "" {
			return nil, fmt.Errorf("ssh config file: ProxyJump %q (%s) names an empty host", s.Value, s.Source)
		}
		out = append(out, b)
	}
	return out, nil
}

// sources maps a Config field to where the config file set it, for error messages.
type sources map[string]string

func (s sources) with(field, source string) sources {
	out := sources{field: source}
	for k, v := range s {
		if k != field {
			out[k] = v
		}
	}
	return out
}

// SetByFile reports whether the config file gave this setting ("port", "user",
// "known_hosts_file", "certificate_file") rather than Terraform or a default.
func (c Config) SetByFile(field string) bool {
	_, ok := c.sources[field]
	return ok
}

// fromFile wraps err with the config file line that set field, when it did.
func (c Config) fromFile(field string, err error) error {
	if src, ok := c.sources[field]; ok && err != nil {
		return fmt.Errorf("%w (set by %s)", err, src)
	}
	return err
}
