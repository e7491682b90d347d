package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Killed after Composer finished but before the custom files were carried: the tool
// looks in sync, yet the plan shows the owed restore (an update, with a warning) and the
// apply runs it, then the upgrade, which carries the custom file into the new version.
func TestAccDataMigrationTool_owedRestoreShowsInThePlan(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	custom := filepath.Join(root, "vendor/magento/data-migration-tool/etc/custom-map.xml")
	if err := os.WriteFile(custom, []byte("<map custom=\"yes\"/>\n"), 0o644); err != nil { //nolint:gosec // a shop file
		t.Fatal(err)
	}
	state := magento.StateDir(magento.RootStateBase, root)
	record := filepath.Join(state, "owed")
	interrupted := func() {
		// The state before the killed apply: the tool at 2.4.6 with the custom file.
		r.composer(t, root, "require", "magento/data-migration-tool:2.4.6")
		if err := os.WriteFile(custom, []byte("<map custom=\"yes\"/>\n"), 0o644); err != nil { //nolint:gosec // a shop file
			t.Fatal(err)
		}
		if err := os.MkdirAll(state, 0o700); err != nil {
			t.Fatal(err)
		}
		archive := filepath.Join(state, magento.ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
		if out, err := exec.Command("tar", "-czf", archive, "-C", root, "composer.json", "composer.lock", "vendor/composer", "vendor/magento/data-migration-tool").CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		r.composer(t, root, "require", "magento/data-migration-tool:2.4.7") // the killed apply's Composer; nothing carried
		if err := os.WriteFile(record, []byte(archive+"\n2026-11-25T10:00:00Z\ncomposer.json composer.lock vendor/composer vendor/magento/data-migration-tool\n"+physicalPath(t, root)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	accTest(t, []resource.TestStep{
		{Config: r.dmtConfig(root, ""), ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))}},
		{
			PreConfig: interrupted,
			Config:    r.dmtConfig(root, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(shop, tfjsonpath.New("last_backup")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
			Check: func(*terraformState) error {
				if b, err := os.ReadFile(custom); err != nil || !strings.Contains(string(b), "custom") {
					return fmt.Errorf("the custom file was not restored and carried: %q %v", b, err)
				}
				if _, err := os.Stat(record); !os.IsNotExist(err) {
					return fmt.Errorf("the owed-restore record is still there: %v", err)
				}
				return nil
			},
		},
	})
}

// An apply killed outright weeks ago left its lock and its owed-restore record; since
// then the operator upgraded Magento by hand. Restoring the old archive would put the
// old composer.lock over the new vendor/: the apply changes nothing and says what
// differs, when the interrupted apply ran, and how to clear the record, which stays.
func TestAccDataMigrationTool_owedRestoreNeverRevertsLaterWork(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	backups := magento.StateDir(magento.RootStateBase, root)
	if err := os.MkdirAll(backups, 0o700); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(backups, magento.ArchivePrefixFor(root)+"20261101T030000Z-4242.tar.gz")
	if out, err := exec.Command("tar", "-czf", archive, "-C", root, "composer.json", "composer.lock", "vendor/composer", "vendor/magento/data-migration-tool").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	r.composer(t, root, "require", "magento/data-migration-tool:2.4.7") // the killed apply's Composer
	leaveLock(t, root, map[string]string{"owner": testenv.HolderLine(t, 999999999, "2026-11-01T03:00:00Z") + "\n"})
	record := filepath.Join(backups, "owed")
	if err := os.WriteFile(record, []byte(archive+"\n2026-11-01T03:00:00Z\ncomposer.json composer.lock vendor/composer vendor/magento/data-migration-tool\n"+physicalPath(t, root)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.composer(t, root, "require", "magento/product-community-edition:2.4.8", "-W") // weeks later, by hand
	applyFails(t, root, r.dmtConfig(root, ""), regexp.MustCompile(`(?s)interrupted\s+at\s+2026-11-01T03:00:00Z.*moved\s+on.*magento/product-community-edition\s+2\.4\.7-p3\s+->\s+2\.4\.8`+
		`.*rm\s+'`+regexp.QuoteMeta(record)+`'.*Nothing\s+was\s+changed`))
	if _, err := os.Stat(record); err != nil {
		t.Fatal("the record must stay for the operator to check")
	}
}

// physicalPath is path with every link resolved, as the apply records a root.
func physicalPath(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
