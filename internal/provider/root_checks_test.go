package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// guardedPaths are what an apply may change and a failed apply must restore.
var guardedPaths = []string{"composer.json", "composer.lock", "vendor/composer", "vendor/magento/data-migration-tool"}

// applyFails applies config once, wants an error matching want, and then wants root's
// guardedPaths byte for byte as before: what every refused or failed apply must leave.
// checks (tfversion) skip it on the CLIs they name. It returns the snapshot from before
// the apply, for a test that checks again later.
func applyFails(t *testing.T, root, config string, want *regexp.Regexp, checks ...tfversion.TerraformVersionCheck) snapshot {
	t.Helper()
	before := snapshotOf(t, root)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   checks,
		ProtoV6ProviderFactories: testAccProviders,
		Steps:                    []resource.TestStep{{Config: config, ExpectError: want}},
	})
	before.expectUnchanged()
	return before
}

// snapshot is what paths of root held when it was taken (testenv.Digest).
type snapshot struct {
	t      *testing.T
	root   string
	paths  []string
	digest map[string]string
}

// snapshotOf takes a snapshot of root's paths: guardedPaths when none are given.
func snapshotOf(t *testing.T, root string, paths ...string) snapshot {
	t.Helper()
	if len(paths) == 0 {
		paths = guardedPaths
	}
	return snapshot{t: t, root: root, paths: paths, digest: testenv.Digest(t, root, paths...)}
}

// unchanged is a step's Check (or CheckDestroy): an error naming what differs from the
// snapshot, nil when every path is byte for byte as it was.
func (s snapshot) unchanged(*terraformState) error {
	if diff := testenv.DiffDigests(s.digest, testenv.Digest(s.t, s.root, s.paths...)); diff != "" {
		return fmt.Errorf("%s is not byte for byte as before:\n%s", s.root, diff)
	}
	return nil
}

// expectUnchanged fails the test, and lets it go on, when root differs from the snapshot.
func (s snapshot) expectUnchanged() {
	s.t.Helper()
	if err := s.unchanged(nil); err != nil {
		s.t.Error(err)
	}
}

// requires checks the exact requirement composer.json records.
func requires(root, version string) resource.TestCheckFunc {
	return func(*terraformState) error {
		b, err := os.ReadFile(filepath.Join(root, "composer.json"))
		if err != nil {
			return err
		}
		if want := fmt.Sprintf(`"magento/data-migration-tool": "%s"`, version); !strings.Contains(string(b), want) {
			return fmt.Errorf("composer.json does not contain %s:\n%s", want, b)
		}
		return nil
	}
}

// requiresNot checks that composer.json no longer requires the tool.
func requiresNot(root string) error {
	b, err := os.ReadFile(filepath.Join(root, "composer.json"))
	if err != nil {
		return err
	}
	if strings.Contains(string(b), "magento/data-migration-tool") {
		return fmt.Errorf("composer.json still requires the tool")
	}
	return nil
}
