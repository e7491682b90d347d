package remote

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// hostKeyCheck is the host key callback plus the algorithms to offer, so the server
// presents the key type that known_hosts records (Go otherwise prefers ECDSA and
// fails against a file holding only the ed25519 key).
type hostKeyCheck struct {
	callback   ssh.HostKeyCallback
	algorithms []string
	mode       string // for the debug log
}

// newHostKeyCheck checks the host key as OpenSSH does: under HostKeyAlias (no port),
// else the host name dialled with its port; a host reached through a ProxyCommand or a
// jump host (proxied) whose port is not 22 is also found by its name alone.
func newHostKeyCheck(c Config, proxied bool) (hostKeyCheck, error) {
	address := c.hostKeyAddress()
	switch {
	case c.InsecureIgnoreHostKey:
		return hostKeyCheck{callback: ssh.InsecureIgnoreHostKey(), mode: "insecure (disabled)"}, nil //nolint:gosec // explicit opt-in, warned about
	case c.HostKey != "":
		return pinnedHostKey(c.HostKey)
	}
	if c.KnownHostsFile == "" && len(c.KnownHostsFiles) == 0 {
		return hostKeyCheck{}, errors.New("no known_hosts_file or host_key to verify the host key with")
	}
	source := c.knownHostsSource()
	var existing []string
	for _, path := range append([]string{c.KnownHostsFile}, c.KnownHostsFiles...) {
		if _, err := os.Stat(path); path != "" && err == nil {
			existing = append(existing, path)
		}
	}
	if len(existing) == 0 {
		return hostKeyCheck{mode: "known_hosts (missing file)", callback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			return newHostKeyError(address, key, false, source+" (the file does not exist)")
		}}, nil
	}
	db, err := knownhosts.NewDB(existing...)
	if err != nil {
		return hostKeyCheck{}, c.fromFile("known_hosts_file", fmt.Errorf("reading known_hosts_file: %w", err))
	}
	fallback := "" // OpenSSH's "checking without port identifier"
	if host, port, _ := net.SplitHostPort(address); proxied && c.HostKeyAlias == "" && port != strconv.Itoa(DefaultPort) {
		fallback = net.JoinHostPort(host, strconv.Itoa(DefaultPort))
	}
	algorithms := db.HostKeyAlgorithms(address)
	if len(algorithms) == 0 && fallback != "" {
		algorithms = db.HostKeyAlgorithms(fallback)
	}
	inner := db.HostKeyCallback()
	return hostKeyCheck{
		mode:       "known_hosts",
		algorithms: algorithms,
		callback: func(_ string, remote net.Addr, key ssh.PublicKey) error {
			err := inner(address, remote, key)
			if knownhosts.IsHostUnknown(err) && fallback != "" && inner(fallback, remote, key) == nil {
				return nil
			}
			switch {
			case err == nil:
				return nil
			case knownhosts.IsHostKeyChanged(err):
				return newHostKeyError(address, key, true, source)
			case knownhosts.IsHostUnknown(err):
				return newHostKeyError(address, key, false, source)
			}
			return err
		},
	}, nil
}

// knownHostsSource names the files a key is looked up in, and the config file lines
// that chose them, for errors.
func (c Config) knownHostsSource() string {
	files := strings.Join(append(append([]string{}, c.KnownHostsFile), c.KnownHostsFiles...), ", ")
	source := "known_hosts file " + strings.Trim(files, ", ")
	if len(c.KnownHostsFiles) > 0 {
		source = "known_hosts files " + strings.Trim(files, ", ")
	}
	if src, ok := c.sources["known_hosts_file"]; ok {
		source += " (UserKnownHostsFile, " + src + ")"
	}
	if c.ConfigFile != "" && c.Host != c.dialHost() {
		source += fmt.Sprintf(", for Host %s in %s", c.Host, c.ConfigFile)
	}
	if c.HostKeyAlias != "" {
		source += " under HostKeyAlias " + c.HostKeyAlias
	}
	return source
}

func pinnedHostKey(line string) (hostKeyCheck, error) {
	pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return hostKeyCheck{}, fmt.Errorf("parsing host_key: %w", err)
	}
	return hostKeyCheck{
		mode:       "pinned host_key",
		algorithms: algorithmsForKeyType(pinned.Type()),
		callback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			if bytes.Equal(key.Marshal(), pinned.Marshal()) {
				return nil
			}
			return newHostKeyError(hostname, key, true, "the pinned host_key")
		},
	}, nil
}

// algorithmsForKeyType lists the signature algorithms that verify a key of this type;
// an RSA key is presented under its SHA-2 names.
func algorithmsForKeyType(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

func newHostKeyError(address string, key ssh.PublicKey, changed bool, source string) *HostKeyError {
	return &HostKeyError{
		Address:        address,
		KeyType:        key.Type(),
		Fingerprint:    ssh.FingerprintSHA256(key),
		KnownHostsLine: knownhosts.Line([]string{address}, key),
		Changed:        changed,
		Source:         source,
	}
}
