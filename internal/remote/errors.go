package remote

import (
	"fmt"
)

// HostKeyError is a host key that could not be trusted: unknown to known_hosts,
// different from the recorded or pinned key. It names the offered key so an operator
// can compare it out of band and add the line.
type HostKeyError struct {
	Address        string // host:port as dialled
	KeyType        string
	Fingerprint    string // SHA256:...
	KnownHostsLine string
	Changed        bool // a different key is recorded: possible man-in-the-middle
	Source         string
}

func (e *HostKeyError) Error() string {
	if e.Changed {
		return fmt.Sprintf("host key for %s does not match %s: the server offered %s %s. "+
			"If the host was rebuilt, verify the new key out of band and replace its entry with: %s",
			e.Address, e.Source, e.KeyType, e.Fingerprint, e.KnownHostsLine)
	}
	return fmt.Sprintf("host key for %s is not in %s: the server offered %s %s. "+
		"Verify it out of band, then add this line to the known_hosts file (or set host_key): %s",
		e.Address, e.Source, e.KeyType, e.Fingerprint, e.KnownHostsLine)
}
