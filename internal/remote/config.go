package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config says how to reach one host. Of its secret fields only Password is sent, to
// the server for password or keyboard-interactive authentication; the private key and
// its passphrase never leave the provider process.
type Config struct {
	Host     string // as written: a config file's Host alias, named in ids and errors
	HostName string // the host dialled when a config file gives one; empty = Host
	Port     int
	User     string

	PrivateKey           string // PEM content; secret
	PrivateKeyFile       string
	PrivateKeyPassphrase string // secret
	Certificate          string // OpenSSH user certificate line
	CertificateFile      string
	Password             string // secret
	Agent                bool
	AgentSocket          string // SSH_AUTH_SOCK when Agent is true

	KnownHostsFile        string
	KnownHostsFiles       []string // read after KnownHostsFile: a config file's further UserKnownHostsFile and GlobalKnownHostsFile
	HostKey               string   // pinned authorized_keys-style public key line
	HostKeyAlias          string   // known_hosts name to look the key up under (OpenSSH's HostKeyAlias)
	InsecureIgnoreHostKey bool

	// From an OpenSSH config file (ApplySSHConfig): the identity files to try when
	// Terraform sets no key, and a command whose stdin/stdout carry the connection.
	ConfigFile     string
	IdentityFiles  []Setting
	IdentitiesOnly bool // offer only the agent's keys of IdentityFiles
	ProxyCommand   Setting
	sources        sources // Config field -> config file line that set it

	// Bastions are jump hosts, connected in order; the target is reached through the last.
	Bastions []Bastion

	ConnectTimeout    time.Duration // budget for connecting, retries included
	KeepaliveInterval time.Duration // 0 = default; negative disables
	KeepaliveCountMax int           // unanswered keepalives before the peer counts as gone; 0 = 3
}

// Bastion is one jump host. Empty fields inherit the target's settings (user,
// credentials, known_hosts file), except for a jump host resolved through a config
// file (FromFile), which has all of its own, as in OpenSSH.
type Bastion struct {
	Host           string
	Port           int
	User           string
	PrivateKeyFile string
	HostKey        string
	KnownHostsFile string

	Alias           string // as written in ProxyJump, when a config file resolved it
	FromFile        bool
	IdentityFiles   []Setting
	IdentitiesOnly  bool
	CertificateFile string
	KnownHostsFiles []string
	HostKeyAlias    string
	ProxyCommand    Setting // the first hop's own, from the file
}

// hop turns a bastion into a full Config that inherits what it does not set.
func (c Config) hop(b Bastion) Config {
	h := c
	h.Host, h.Port, h.Bastions = b.Host, b.Port, nil
	h.HostName, h.HostKeyAlias, h.ProxyCommand = "", "", Setting{}
	if b.Alias != "" {
		h.Host, h.HostName = b.Alias, b.Host // named by its alias, dialled at its HostName
	}
	if b.User != "" {
		h.User = b.User
	}
	if b.PrivateKeyFile != "" {
		h.PrivateKeyFile, h.PrivateKey, h.PrivateKeyPassphrase = b.PrivateKeyFile, "", ""
		h.Certificate, h.CertificateFile, h.IdentityFiles = "", "", nil
	}
	if b.HostKey != "" {
		h.HostKey, h.InsecureIgnoreHostKey = b.HostKey, false
	} else {
		h.HostKey = ""
	}
	if b.KnownHostsFile != "" {
		h.KnownHostsFile = b.KnownHostsFile
	}
	if b.FromFile {
		h.PrivateKey, h.PrivateKeyFile, h.PrivateKeyPassphrase, h.Certificate = "", "", "", ""
		h.IdentityFiles, h.IdentitiesOnly, h.CertificateFile = b.IdentityFiles, b.IdentitiesOnly, b.CertificateFile
		h.KnownHostsFile, h.KnownHostsFiles, h.HostKeyAlias = b.KnownHostsFile, b.KnownHostsFiles, b.HostKeyAlias
		h.ProxyCommand, h.sources = b.ProxyCommand, nil
	}
	return h
}

const (
	DefaultPort              = 22
	DefaultConnectTimeout    = 30 * time.Second
	DefaultKeepaliveInterval = 15 * time.Second
	DefaultMaxSessions       = 10
)

// Address is host:port as written (a config file's alias, not its HostName).
func (c Config) Address() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.port()))
}

// DialAddress is host:port as dialled: HostName from a config file, else Host.
func (c Config) DialAddress() string {
	return net.JoinHostPort(c.dialHost(), strconv.Itoa(c.port()))
}

// Machine names the machine c reaches: the address dialled and the way there (each jump
// host as dialled, a ProxyCommand). Two config file aliases of one host are one machine;
// one private address behind two bastions is two.
func (c Config) Machine() string {
	var route []string
	for _, b := range c.Bastions {
		hop := c.hop(b)
		route = append(route, hop.DialAddress()+" "+hop.ProxyCommand.Value)
	}
	return strings.Join(append(route, c.DialAddress()+" "+c.ProxyCommand.Value), " > ")
}

func (c Config) dialHost() string {
	if c.HostName != "" {
		return c.HostName
	}
	return c.Host
}

// hostKeyAddress is the name host keys are looked up under: HostKeyAlias (without a
// port, as OpenSSH does), else the host dialled and its port.
func (c Config) hostKeyAddress() string {
	if c.HostKeyAlias != "" {
		return net.JoinHostPort(c.HostKeyAlias, strconv.Itoa(DefaultPort))
	}
	return c.DialAddress()
}

func (c Config) port() int {
	if c.Port == 0 {
		return DefaultPort
	}
	return c.Port
}

// Validate reports configuration that can never connect, before any dialling.
func (c Config) Validate() error {
	switch {
	case c.Host == "":
		return errors.New("host is empty")
	case c.User == "":
		return errors.New("ssh user is empty")
	case c.port() < 1 || c.port() > 65535:
		return fmt.Errorf("ssh port %d is out of range 1-65535", c.port())
	case c.HostKey != "" && c.InsecureIgnoreHostKey:
		return errors.New("host_key and insecure_ignore_host_key are mutually exclusive")
	case c.PrivateKey != "" && c.PrivateKeyFile != "":
		return errors.New("private_key and private_key_file are mutually exclusive")
	case c.Certificate != "" && c.CertificateFile != "":
		return errors.New("certificate and certificate_file are mutually exclusive")
	}
	for i, b := range c.Bastions {
		if b.Host == "" {
			return fmt.Errorf("bastions[%d]: host is empty", i)
		}
	}
	return nil
}

// poolKey identifies a connection that may be shared: same endpoint, same identity,
// same trust settings, same jump hosts and the same connect and keepalive settings
// (every setting that changes a connection). Secrets are hashed so the key itself
// holds none.
func (c Config) poolKey() string {
	h := sha256.New()
	for _, part := range []string{
		c.Host, c.HostName, strconv.Itoa(c.port()), c.User, c.HostKeyAlias, c.ConfigFile,
		fmt.Sprintf("%v", c.IdentityFiles), strconv.FormatBool(c.IdentitiesOnly), c.ProxyCommand.Value, strconv.Itoa(c.KeepaliveCountMax),
		c.PrivateKey, c.PrivateKeyFile, c.PrivateKeyPassphrase, c.Certificate, c.CertificateFile,
		c.Password, strconv.FormatBool(c.Agent), c.AgentSocket,
		c.KnownHostsFile, fmt.Sprintf("%q", c.KnownHostsFiles), c.HostKey, strconv.FormatBool(c.InsecureIgnoreHostKey),
		fmt.Sprintf("%+v", c.Bastions), c.ConnectTimeout.String(), c.KeepaliveInterval.String(),
	} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
