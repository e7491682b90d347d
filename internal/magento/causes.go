package magento

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// causes maps what Composer, sudo and Magento print to one sentence an operator can act on.
var causes = []struct{ marker, sentence string }{
	{"does not match the constraint", "Composer found no release matching the requested version."},
	{"Could not find a matching version", "Composer found no release matching the requested version."},
	{"Allowed memory size", "Composer ran out of memory: set COMPOSER_MEMORY_LIMIT = \"-1\" in composer_env (the default) or raise PHP's memory_limit."},
	{"a password is required", "sudo asked for a password: run_as needs a passwordless sudo rule for the SSH user."},
	{"is not in the sudoers file", "The SSH user may not sudo to the run_as user: add a sudoers rule."},
	{"unknown user", "The run_as user does not exist on the host."},
	{"command not found", "A command was not found on the host: check the php and composer settings."},
	{"No space left on device", "The host's disk is full."},
}

// composerAuthFailure matches Composer's own messages for a repository that refused
// the credentials (Composer\Util\AuthHelper and its downloaders), capturing the URL or
// host. A line that merely mentions repo.magento.com or the digits 401 is not one.
var composerAuthFailure = regexp.MustCompile(`Could not authenticate against (\S+)|` +
	`Invalid credentials (?:\(HTTP 40[13]\) )?for '([^'\n]+)'|` +
	`The '([^'\n]+)' URL (?:required authentication|could not be accessed \(HTTP 403\))|` +
	`The "([^"\n]+)" file could not be downloaded \(HTTP/[0-9.]+ 40[13]\b`)

// causeFor returns the one-sentence cause found in out, or "".
func causeFor(out string) string {
	// Composer wraps long messages at the terminal's width, mid-word ("(HTT\nP 401)").
	for _, text := range []string{out, strings.ReplaceAll(out, "\n", "")} {
		if m := composerAuthFailure.FindStringSubmatch(text); m != nil {
			return authSentence(strings.Join(m[1:], ""))
		}
	}
	for _, c := range causes {
		if strings.Contains(out, c.marker) {
			return c.sentence
		}
	}
	return ""
}

// authSentence names the repository (its host) that refused the credentials.
func authSentence(where string) string {
	host := where
	if u, err := url.Parse(where); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	sentence := fmt.Sprintf("The Composer repository %s refused the credentials (HTTP 401/403): set composer_auth to its keys", host)
	if host == "repo.magento.com" {
		sentence += " (your Marketplace access keys)"
	}
	return sentence + "."
}

// causeHint is " (cause)" for a failed remote command whose output names one.
func causeHint(err error) string {
	var exit *shell.ExitError
	if errors.As(err, &exit) {
		if c := causeFor(string(exit.Stdout) + string(exit.Stderr)); c != "" {
			return ". " + c
		}
	}
	return ""
}
