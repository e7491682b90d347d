package remote

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"

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

func newHostKeyCheck(c Config) (hostKeyCheck, error) {
	address := c.hostKeyAddress()
	switch {
	case c.InsecureIgnoreHostKey:
		return hostKeyCheck{callback: ssh.InsecureIgnoreHostKey(), mode: "insecure (disabled)"}, nil //nolint:gosec // explicit opt-in, warned about
	case c.HostKey != "":
		return pinnedHostKey(c.HostKey)
	}
	path := c.KnownHostsFile
	if path == "" {
		return hostKeyCheck{}, errors.New("no known_hosts_file or host_key to verify the host key with")
	}
	source := "known_hosts file " + path
	if src, ok := c.sources["known_hosts_file"]; ok {
		source += " (UserKnownHostsFile, " + src + ")"
	}
	if c.ConfigFile != "" && c.Host != c.dialHost() {
		source += fmt.Sprintf(", for Host %s in %s", c.Host, c.ConfigFile)
	}
	if c.HostKeyAlias != "" {
		source += " under HostKeyAlias " + c.HostKeyAlias
	}
	db, err := knownhosts.NewDB(path)
	if errors.Is(err, os.ErrNotExist) {
		return hostKeyCheck{mode: "known_hosts (missing file)", callback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			return newHostKeyError(address, key, false, source+" (the file does not exist)")
		}}, nil
	}
	if err != nil {
		return hostKeyCheck{}, c.fromFile("known_hosts_file", fmt.Errorf("reading known_hosts_file: %w", err))
	}
	inner := db.HostKeyCallback()
	return hostKeyCheck{
		mode:       "known_hosts",
		algorithms: db.HostKeyAlgorithms(address),
		callback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := inner(hostname, remote, key)
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
