package remote

import (
	"crypto/sha1" //nolint:gosec // OpenSSH's %C is a SHA-1 hex digest, not a security measure
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// Tokens are the values of OpenSSH's % tokens (ssh_config(5) TOKENS).
type Tokens struct {
	Host         string // %h: the host name dialled (HostName)
	Port         int    // %p
	User         string // %r: the remote user
	Alias        string // %n: the host as written
	LocalUser    string // %u
	HostKeyAlias string // %k when set (else %n)
	ProxyJump    string // %j
}

// proxyCommandTokens are the tokens OpenSSH expands in ProxyCommand and ProxyJump.
const proxyCommandTokens = "%hnpr"

// ExpandTokens replaces every token OpenSSH expands in file names (IdentityFile,
// CertificateFile, UserKnownHostsFile): %% %C %d %h %i %j %k %L %l %n %p %r %u; others
// stay as written.
func ExpandTokens(s string, t Tokens) string { return expandTokens(s, t, "") }

// expandTokens expands the tokens in only ("" = all).
func expandTokens(s string, t Tokens, only string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		v, ok := t.value(s[i])
		if !ok || only != "" && !strings.ContainsRune(only, rune(s[i])) {
			b.WriteByte('%')
			b.WriteByte(s[i])
			continue
		}
		b.WriteString(v)
	}
	return b.String()
}

func (t Tokens) value(c byte) (string, bool) {
	switch c {
	case '%':
		return "%", true
	case 'h':
		return t.Host, true
	case 'p':
		return strconv.Itoa(t.Port), true
	case 'r':
		return t.User, true
	case 'n':
		return t.Alias, true
	case 'u':
		return t.LocalUser, true
	case 'd':
		return passwdHome(), true
	case 'i':
		return strconv.Itoa(os.Getuid()), true
	case 'k':
		if t.HostKeyAlias != "" {
			return t.HostKeyAlias, true
		}
		return t.Alias, true
	case 'l':
		return localHostname(), true
	case 'L':
		short, _, _ := strings.Cut(localHostname(), ".")
		return short, true
	case 'j':
		return t.ProxyJump, true
	case 'C':
		sum := sha1.Sum([]byte(localHostname() + t.Host + strconv.Itoa(t.Port) + t.User)) //nolint:gosec // OpenSSH's %C
		return hex.EncodeToString(sum[:]), true
	}
	return "", false
}

func localHostname() string {
	h, _ := os.Hostname()
	return h
}

// passwdHome is the local user's home directory as OpenSSH finds it: from the passwd
// database, not $HOME.
func passwdHome() string {
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		return u.HomeDir
	}
	home, _ := os.UserHomeDir()
	return home
}

// expandPath expands ${VAR}, tokens and a leading ~ (the passwd home) in a file name
// from the config file, as OpenSSH does; an unset variable is an error.
func expandPath(p string, t Tokens) (string, error) {
	p, err := expandEnv(p)
	if err != nil {
		return "", err
	}
	p = ExpandTokens(p, t)
	if p == "~" || strings.HasPrefix(p, "~/") {
		return filepath.Join(passwdHome(), strings.TrimPrefix(p, "~")), nil
	}
	return p, nil
}

// expandEnv replaces ${VAR} with the variable's value (OpenSSH's environment expansion).
func expandEnv(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%q has an unterminated ${", s)
		}
		name := s[i+2 : i+end]
		v, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable ${%s} is not set", name)
		}
		b.WriteString(s[:i] + v)
		s = s[i+end+1:]
	}
}

// tokens are the values of c's % tokens for its ProxyCommand.
func (c Config) tokens() Tokens {
	return Tokens{Host: c.dialHost(), Port: c.port(), User: c.User, Alias: c.Host}
}
