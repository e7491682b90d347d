package remote

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// defaultIdentityFiles are the keys OpenSSH 9.x tries when the file names none.
var defaultIdentityFiles = []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"}

// DefaultIdentitySource is the Source of an identity file OpenSSH tries untold.
const DefaultIdentitySource = "OpenSSH's default identity files"

// identities are the identity and certificate files for s, expanded: the file's, else
// OpenSSH's defaults under ~/.ssh.
func identities(s HostSettings, tok Tokens) (ids, certs []Setting, err error) {
	written := s.IdentityFiles
	if len(written) == 0 {
		for _, name := range defaultIdentityFiles {
			written = append(written, Setting{Value: "~/.ssh/" + name, Source: DefaultIdentitySource})
		}
	}
	for _, list := range []struct {
		in  []Setting
		out *[]Setting
	}{{written, &ids}, {s.CertificateFiles, &certs}} {
		for _, id := range list.in {
			path, err := expandPath(id.Value, tok)
			if err != nil {
				return nil, nil, fmt.Errorf("ssh config file: %q (%s): %w", id.Value, id.Source, err)
			}
			*list.out = append(*list.out, Setting{Value: path, Source: id.Source})
		}
	}
	return ids, certs, nil
}

// knownHostsFiles are every UserKnownHostsFile and then every GlobalKnownHostsFile,
// OpenSSH's defaults where the file sets none.
func knownHostsFiles(s HostSettings, tok Tokens) ([]string, error) {
	var out []string
	for _, list := range []struct {
		set      Setting
		defaults string
	}{
		{s.UserKnownHostsFile, "~/.ssh/known_hosts ~/.ssh/known_hosts2"},
		{s.GlobalKnownHostsFile, "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"},
	} {
		value := list.set.Value
		if value == "" {
			value = list.defaults
		}
		words, err := splitArgs(value)
		if err != nil {
			return nil, fmt.Errorf("ssh config file: %q (%s): %w", value, list.set.Source, err)
		}
		for _, w := range words {
			path, err := expandPath(w, tok)
			if err != nil {
				return nil, fmt.Errorf("ssh config file: %q (%s): %w", w, list.set.Source, err)
			}
			if !strings.EqualFold(path, "none") {
				out = append(out, path)
			}
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out, nil
}

// resolveJumps turns a ProxyJump value into bastions, each resolved through the file
// as ssh resolves a jump host: its own HostName, Port, User (else the local user),
// identity and known_hosts files. The first hop's own ProxyJump comes before it, or its
// own ProxyCommand reaches it; a later hop's are not used (ssh reaches hop n with
// "-J hop1,...,hop n-1", which overrides them).
func (f *SSHConfigFile) resolveJumps(pj Setting, localUser string, depth int) ([]Bastion, error) {
	if depth > 8 {
		return nil, fmt.Errorf("ssh config file: ProxyJump (%s) loops through its jump hosts", pj.Source)
	}
	hops, err := parseProxyJump(pj)
	if err != nil {
		return nil, err
	}
	var out []Bastion
	for i, b := range hops {
		js := f.lookup(b.Host, localUser, b.User) // a user in ProxyJump is given as ssh -l
		if i == 0 && js.ProxyJump.Value != "" {
			before, err := f.resolveJumps(js.ProxyJump, localUser, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, before...)
		}
		b.Alias = b.Host
		if js.HostName.Value != "" {
			b.Host = strings.ToLower(ExpandTokens(js.HostName.Value, Tokens{Host: b.Alias, Alias: b.Alias}))
		}
		if b.Port == 0 && js.Port.Value != "" {
			if b.Port, err = parsePort(js.Port); err != nil {
				return nil, err
			}
		}
		if b.User == "" {
			b.User = js.User.Value
		}
		if b.User == "" {
			b.User = localUser
		}
		b.HostKeyAlias = js.HostKeyAlias.Value
		if i == 0 {
			b.ProxyCommand = js.ProxyCommand
		}
		port := b.Port
		if port == 0 {
			port = DefaultPort
		}
		tok := Tokens{Host: b.Host, Port: port, User: b.User, Alias: b.Alias, LocalUser: localUser, HostKeyAlias: b.HostKeyAlias, ProxyJump: js.ProxyJump.Value}
		ids, certs, err := identities(js, tok)
		if err != nil {
			return nil, err
		}
		b.IdentityFiles, b.IdentitiesOnly, b.FromFile = ids, strings.EqualFold(js.IdentitiesOnly.Value, "yes"), true
		if len(certs) > 0 {
			b.CertificateFile = certs[0].Value
		}
		files, err := knownHostsFiles(js, tok)
		if err != nil {
			return nil, err
		}
		b.KnownHostsFile, b.KnownHostsFiles = files[0], files[1:]
		out = append(out, b)
	}
	return out, nil
}

func parsePort(s Setting) (int, error) {
	p, err := strconv.Atoi(s.Value)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("ssh config file: Port %q (%s) is not a TCP port", s.Value, s.Source)
	}
	return p, nil
}

// parseSeconds reads an OpenSSH time ("90", "1m", "1h30m", "2M"; sshd_config(5) TIME
// FORMATS).
func parseSeconds(s Setting) (time.Duration, error) {
	bad := fmt.Errorf("ssh config file: %q (%s) is not a time (seconds, or 1m, 1h30m, ...)", s.Value, s.Source)
	v := strings.TrimSpace(s.Value)
	if v == "" {
		return 0, bad
	}
	var total time.Duration
	for v != "" {
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, bad
		}
		n, err := strconv.Atoi(v[:i])
		if err != nil {
			return 0, bad
		}
		unit := time.Second
		if i < len(v) {
			switch v[i] {
			case 's', 'S':
			case 'm', 'M':
				unit = time.Minute
			case 'h', 'H':
				unit = time.Hour
			case 'd', 'D':
				unit = 24 * time.Hour
			case 'w', 'W':
				unit = 7 * 24 * time.Hour
			default:
				return 0, bad
			}
			i++
		}
		total += time.Duration(n) * unit
		v = v[i:]
	}
	return total, nil
}

// splitArgs splits a value into words as OpenSSH does (argv_split): blanks separate,
// double or single quotes group, a backslash escapes a quote or backslash.
func splitArgs(s string) ([]string, error) {
	var (
		out   []string
		cur   strings.Builder
		quote byte
		in    bool
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote == 0 && (ch == ' ' || ch == '\t'):
			if in {
				out, in = append(out, cur.String()), false
				cur.Reset()
			}
		case ch == '\\' && i+1 < len(s) && strings.IndexByte(`\"'`, s[i+1]) >= 0:
			i++
			cur.WriteByte(s[i])
			in = true
		case quote == 0 && (ch == '"' || ch == '\''):
			quote, in = ch, true
		case ch == quote:
			quote = 0
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
