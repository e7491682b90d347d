package remote

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
)

// SSHConfigFile is a parsed OpenSSH client configuration (ssh_config(5)).
type SSHConfigFile struct {
	Path    string
	cfg     *ssh_config.Config
	blocks  []block
	origins []origin
	lines   []string // the rewritten text the library read
}

// LoadSSHConfig parses the file at path; Include directives are followed as OpenSSH
// does (relative paths under ~/.ssh), and Match blocks with criteria the provider
// cannot evaluate as OpenSSH does are refused naming their line.
func LoadSSHConfig(path string) (*SSHConfigFile, error) {
	r := &rewriter{}
	if err := r.rewrite(path, -1, "", 0); err != nil {
		return nil, err
	}
	cfg, err := ssh_config.DecodeBytes([]byte(strings.Join(r.out, "\n") + "\n"))
	if err != nil {
		return nil, fmt.Errorf("parsing ssh config_file %s: %w", path, err)
	}
	return &SSHConfigFile{Path: path, cfg: cfg, blocks: r.blocks, origins: r.origins, lines: r.out}, nil
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

// Lookup resolves alias through the file as OpenSSH does, for the local user.
func (f *SSHConfigFile) Lookup(alias string) HostSettings {
	return f.lookup(alias, currentUserName(), "")
}

// lookup reads the file once, in order, as OpenSSH does: a block applies when its Host
// patterns match alias or its Match criteria hold for the values obtained so far; the
// first value of a keyword wins (ProxyJump and ProxyCommand are one keyword), and
// IdentityFile and CertificateFile collect every value. user is a user given outside
// the file (Terraform's, like ssh -l): Match user sees it.
func (f *SSHConfigFile) lookup(alias, localUser, user string) HostSettings {
	s := HostSettings{Alias: alias}
	single := map[string]*Setting{
		"hostname": &s.HostName, "port": &s.Port, "user": &s.User, "identitiesonly": &s.IdentitiesOnly,
		"userknownhostsfile": &s.UserKnownHostsFile, "globalknownhostsfile": &s.GlobalKnownHostsFile,
		"hostkeyalias": &s.HostKeyAlias, "proxyjump": &s.ProxyJump, "proxycommand": &s.ProxyCommand,
		"connecttimeout": &s.ConnectTimeout, "serveraliveinterval": &s.ServerAliveInterval,
		"serveralivecountmax": &s.ServerAliveCountMax,
	}
	active := make([]bool, len(f.blocks))
	for _, h := range f.cfg.Hosts {
		if !f.applies(h, alias, localUser, user, &s, active) {
			continue
		}
		for _, n := range h.Nodes {
			kv, ok := n.(*ssh_config.KV)
			if !ok {
				continue
			}
			key := strings.ToLower(kv.Key)
			set := Setting{Value: kv.Value, Source: f.source(kv.Pos().Line)}
			if listValued[key] {
				set.Value = f.rawValue(kv.Pos().Line) // a list of words, each maybe quoted: split later
			}
			switch key {
			case "identityfile":
				s.IdentityFiles = append(s.IdentityFiles, set)
			case "certificatefile":
				s.CertificateFiles = append(s.CertificateFiles, set)
			case "proxyjump", "proxycommand":
				if s.ProxyJump.Source == "" && s.ProxyCommand.Source == "" {
					*single[key] = set
				}
			default:
				if dst, ok := single[key]; ok && dst.Source == "" {
					*dst = set
				}
			}
		}
	}
	s.IdentityFiles = mergeDuplicates(s.IdentityFiles)
	s.CertificateFiles = mergeDuplicates(s.CertificateFiles)
	if strings.EqualFold(s.ProxyJump.Value, "none") {
		s.ProxyJump = Setting{}
	}
	if strings.EqualFold(s.ProxyCommand.Value, "none") {
		s.ProxyCommand = Setting{}
	}
	return s
}

// applies evaluates the block h starts, recording the result in active (blocks of an
// included file look at their parent's).
func (f *SSHConfigFile) applies(h *ssh_config.Host, alias, localUser, user string, s *HostSettings, active []bool) bool {
	if len(h.Patterns) == 0 {
		return true
	}
	n := -1
	if _, err := fmt.Sscanf(h.Patterns[0].String(), blockPrefix+"%d", &n); err != nil || n < 0 || n >= len(f.blocks) {
		return true // the implicit block before any Host line
	}
	b := f.blocks[n]
	ok := b.parent < 0 || active[b.parent]
	switch {
	case !ok, b.continuation:
	case b.match != nil:
		state := matchState{alias: alias, hostName: s.HostName.Value, user: s.User.Value, localUser: localUser}
		if user != "" {
			state.user = user
		}
		for _, c := range b.match {
			ok = ok && c.matches(state)
		}
	default:
		ok = matchPatterns(alias, b.host, false) // Host patterns are case-sensitive, Match host is not
	}
	active[n] = ok
	return ok
}

// listValued keywords take several words, each of which may be quoted; the library
// unquotes a value only as a whole.
var listValued = map[string]bool{"userknownhostsfile": true, "globalknownhostsfile": true}

// rawValue is the value of line n of the rewritten text as written, quotes kept.
func (f *SSHConfigFile) rawValue(n int) string {
	if n < 1 || n > len(f.lines) {
		return ""
	}
	_, rest := splitKeyword(f.lines[n-1])
	if words, err := splitArgs(rest); err == nil {
		if kept := untilComment(words); len(kept) < len(words) {
			i := strings.Index(rest, " #")
			if i < 0 {
				i = strings.Index(rest, "\t#")
			}
			if i >= 0 {
				rest = rest[:i]
			}
		}
	}
	return strings.TrimSpace(rest)
}

// source names the file and line of line n of the rewritten text.
func (f *SSHConfigFile) source(n int) string {
	if n >= 1 && n <= len(f.origins) {
		return f.origins[n-1].String()
	}
	return fmt.Sprintf("%s line %d", f.Path, n)
}

func currentUserName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
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
	preset := ""
	if written.User {
		preset = c.User
	}
	s := f.lookup(c.Host, localUser, preset)
	c.ConfigFile = f.Path
	if s.HostName.Value != "" {
		c.HostName = strings.ToLower(ExpandTokens(s.HostName.Value, Tokens{Host: c.Host, Alias: c.Host})) // as ssh does
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
