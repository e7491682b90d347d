package testenv

import (
	"fmt"
	"strconv"
	"strings"
)

// ProviderHCL is a provider "magento" block that reaches this sshd as root.
func (s *SSHD) ProviderHCL() string {
	return fmt.Sprintf(`provider "magento" {
  ssh {
    user             = "root"
    port             = %d
    private_key_file = %q
    known_hosts_file = %q
    agent            = false
  }
}
`, s.Port, s.ClientKey, s.KnownHosts)
}

// SSHDSetEnv is an sshd_config line that gives every session this repository's
// Composer environment, so a configuration needs no composer_env to stay offline.
func (r *Repo) SSHDSetEnv() string {
	quoted := make([]string, len(r.ComposerEnv))
	for i, kv := range r.ComposerEnv {
		quoted[i] = strconv.Quote(kv)
	}
	return "SetEnv " + strings.Join(quoted, " ")
}

// ComposerEnvHCL is a composer_env map that keeps Composer offline on this repository.
func (r *Repo) ComposerEnvHCL() string {
	var b strings.Builder
	b.WriteString("{\n")
	for _, kv := range r.ComposerEnv {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "    %s = %q\n", k, v)
	}
	b.WriteString("  }")
	return b.String()
}
