package magento

import (
	"errors"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// causes maps what Composer, sudo and Magento print to one sentence an operator can act on.
var causes = []struct{ marker, sentence string }{
	{"does not match the constraint", "Composer found no release matching the requested version."},
	{"Could not find a matching version", "Composer found no release matching the requested version."},
	{"Allowed memory size", "Composer ran out of memory: set COMPOSER_MEMORY_LIMIT = \"-1\" in composer_env (the default) or raise PHP's memory_limit."},
	{"repo.magento.com", "repo.magento.com refused the request: set composer_auth to your Marketplace access keys."},
	{"401", "The Composer repository refused the credentials (HTTP 401): check composer_auth."},
	{"a password is required", "sudo asked for a password: run_as needs a passwordless sudo rule for the SSH user."},
	{"is not in the sudoers file", "The SSH user may not sudo to the run_as user: add a sudoers rule."},
	{"unknown user", "The run_as user does not exist on the host."},
	{"command not found", "A command was not found on the host: check the php and composer settings."},
	{"No space left on device", "The host's disk is full."},
}

// causeFor returns the one-sentence cause found in out, or "".
func causeFor(out string) string {
	for _, c := range causes {
		if strings.Contains(out, c.marker) {
			return c.sentence
		}
	}
	return ""
}

// causeHint is " (cause)" for a failed remote command whose output names one.
func causeHint(err error) string {
	var exit *remote.ExitError
	if errors.As(err, &exit) {
		if c := causeFor(string(exit.Stdout) + string(exit.Stderr)); c != "" {
			return ". " + c
		}
	}
	return ""
}
