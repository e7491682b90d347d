package magento

import (
	"strings"
	"testing"
)

// The credential hint answers Composer's own authentication failures only; lines that
// merely mention the repository or the digits 401 get no hint or their own.
func TestCredentialHintAnswersOnlyComposersAuthFailures(t *testing.T) {
	for _, tc := range []struct {
		name, out, want string // want: a fragment of the cause, "" = none
	}{
		{"composer 2 download 401", `The "https://repo.magento.com/packages.json" file could not be downloaded (HTTP/2 401 )`, "repository repo.magento.com refused the credentials"},
		{"composer 1 download 403", `The "https://repo.magento.com/archives/magento/data-migration-tool/2.4.7.zip" file could not be downloaded (HTTP/1.1 403 Forbidden)`, "Marketplace access keys"},
		{"invalid credentials", `Invalid credentials (HTTP 401) for 'https://composer.example.com/packages.json', aborting.`, "repository composer.example.com refused"},
		{"interactive auth needed", "The 'https://repo.magento.com/packages.json' URL required authentication (HTTP 401).\nYou must be using the interactive console to authenticate", "repo.magento.com refused"},
		{"wrapped at the terminal's width", "Invalid credentials (HTTP 401) for 'https://repo.magento.com/packa\nges.json', aborting.", "repo.magento.com refused"},
		{"non-interactive 403", "The 'https://repo.magento.com/packages.json' URL could not be accessed (HTTP 403): Forbidden", "repo.magento.com refused"},
		{"could not authenticate", `Could not authenticate against repo.magento.com`, "repo.magento.com refused"},
		{"repository named in a resolution failure", "Problem 1\n  - Root composer.json requires magento/data-migration-tool 2.4.9, found magento/data-migration-tool[2.4.8] in repo.magento.com but it does not match the constraint.", "found no release"},
		{"401 in a file size", "  - Downloading magento/data-migration-tool (2.4.7): 401 KiB\nInstallation failed, reverting ./composer.json", ""},
		{"404 from the repository", `The "https://repo.magento.com/packages.json" file could not be downloaded (HTTP/2 404 )`, ""},
		{"out of memory", "PHP Fatal error:  Allowed memory size of 1610612736 bytes exhausted", "out of memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := causeFor(tc.out)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Fatalf("causeFor(%q) = %q, want a cause containing %q", tc.out, got, tc.want)
			}
		})
	}
}
