package provider

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// addComposerScript makes the root's composer.json run script on event: the shop's own
// code, which Composer runs for require and remove (and which may do anything).
func addComposerScript(t *testing.T, root, event, script string) {
	t.Helper()
	path := filepath.Join(root, "composer.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	doc["scripts"] = map[string]any{event: script}
	out, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil { //nolint:gosec // a shop file
		t.Fatal(err)
	}
}

// deployUserProvider is a provider block that logs in as the rig's deploy user
// (testenv.TestUser, neither root nor the shop's owner) with its password.
func deployUserProvider(r *rig, password string) string {
	return fmt.Sprintf(`
provider "magento" {
  ssh {
    user             = %q
    password         = %q
    port             = %d
    known_hosts_file = %q
    agent            = false
  }
}
`, testenv.TestUser, password, r.sshd.Port, r.sshd.KnownHosts)
}

// webShopHCL is the shop resource for a root of webShop, with more arguments in extra.
func webShopHCL(root, env, extra string) string {
	return fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  composer_env = %s
%s}
`, root, env, extra)
}

// upgradedWithArchiveIn: the tool went to 2.4.7 and last_backup lies in state.
func upgradedWithArchiveIn(state string) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		expect("version", knownvalue.StringExact("2.4.7")),
		expect("last_backup", knownvalue.StringRegexp(regexp.MustCompile("^"+regexp.QuoteMeta(state)+"/tf-magento-dmt-.*\\.tar\\.gz$"))),
	}
}

// touchedOnlyAs checks that the shop's Composer script (recording to record) ran, only
// as uid, and that every file of root is uid's.
func touchedOnlyAs(record, root string, uid int) error {
	b, err := os.ReadFile(record)
	if err != nil || strings.TrimSpace(string(b)) == "" {
		return fmt.Errorf("the shop's Composer script never ran: %v", err)
	}
	for _, line := range strings.Fields(string(b)) {
		if line != strconv.Itoa(uid) {
			return fmt.Errorf("the shop's Composer script ran as uid %s, want the shop's owner (%d)", line, uid)
		}
	}
	if wrong, err := notOwnedBy(root, uid); err != nil || len(wrong) > 0 {
		return fmt.Errorf("files in the shop not owned by uid %d: %v (%v)", uid, wrong, err)
	}
	return nil
}

// notOwnedBy lists the paths below root whose owner is not uid.
func notOwnedBy(root string, uid int) ([]string, error) {
	var wrong []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != uid {
			wrong = append(wrong, path)
		}
		return nil
	})
	return wrong, err
}

// Root applies, run_as unset, to a shop the web user owns: Composer, and so the shop's
// own scripts, run as the owner of composer.json (never as root), no file in the shop is
// left root-owned, and the archive lives in root's private state directory.
func TestAccDataMigrationTool_shopIsTouchedOnlyAsItsOwner(t *testing.T) {
	r := newRig(t)
	testenv.EnsureWebUser(t)
	uid, gid := testenv.IDs(t, testenv.WebUser)
	root, env := webShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	record := filepath.Join(root, "var", "script-uids")
	addComposerScript(t, root, "post-update-cmd", "id -u >> "+record)
	chownTree(t, root, uid, gid)
	state := magento.StateDir(magento.RootStateBase, root)
	config := r.providerConfig() + webShopHCL(root, env, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigStateChecks: upgradedWithArchiveIn(state),
			Check: func(*terraformState) error {
				if err := touchedOnlyAs(record, root, uid); err != nil {
					return err
				}
				info, err := os.Stat(state)
				if err != nil || info.Mode().Perm() != 0o700 {
					return fmt.Errorf("the private state directory %s: %v, %v", state, info, err)
				}
				return nil
			},
		}},
	})
}

// Before anything runs: files in vendor/ that the owner cannot replace (left root-owned
// by an earlier Composer run as root) refuse the apply, naming them and the chown.
func TestAccDataMigrationTool_rootOwnedVendorFilesRefuseTheApply(t *testing.T) {
	r := newRig(t)
	testenv.EnsureWebUser(t)
	root, env := webShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	leftover := filepath.Join(root, "vendor/composer/installed.json")
	if err := os.Chown(leftover, 0, 0); err != nil {
		t.Fatal(err)
	}
	before := testenv.Digest(t, root, guardedPaths...)
	config := r.providerConfig() + webShopHCL(root, env, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: config,
			ExpectError: regexp.MustCompile(`(?s)owner\s+` + testenv.WebUser + `.*` + regexp.QuoteMeta(leftover) + `.*chown\s+-R\s+'?` + testenv.WebUser +
				`.*Nothing\s+was\s+changed`),
		}},
	})
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
}

// An SSH user that is neither root nor the shop's owner, with run_as unset, is refused
// before anything runs, naming the owner and run_as.
func TestAccDataMigrationTool_sshUserThatIsNotTheOwnerNeedsRunAs(t *testing.T) {
	r := newRig(t)
	password := testenv.EnsureWebUser(t)
	root, env := webShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guardedPaths...)
	config := deployUserProvider(r, password) + webShopHCL(root, env, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: config,
			ExpectError: regexp.MustCompile(`(?s)owned\s+by\s+` + testenv.WebUser + `.*SSH\s+user\s+` + testenv.TestUser +
				`\s+is\s+neither\s+root\s+nor\s+that\s+owner.*run_as\s+=\s+"` + testenv.WebUser + `".*Nothing\s+was\s+changed`),
		}},
	})
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
}

// A deploy user applies with run_as: Composer and the shop's scripts run as run_as (the
// web user), and the archive lands in the deploy user's own private state directory.
func TestAccDataMigrationTool_deployUserAppliesAsRunAs(t *testing.T) {
	r := newRig(t)
	password := testenv.EnsureWebUser(t)
	uid, gid := testenv.IDs(t, testenv.WebUser)
	root, env := webShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	record := filepath.Join(root, "var", "script-uids")
	addComposerScript(t, root, "post-update-cmd", "id -u >> "+record)
	chownTree(t, root, uid, gid)
	deploy, err := user.Lookup(testenv.TestUser)
	if err != nil {
		t.Fatal(err)
	}
	state := magento.StateDir(filepath.Join(deploy.HomeDir, ".local/state/terraform-provider-magento"), root)
	t.Cleanup(func() { _ = os.RemoveAll(state) })
	config := deployUserProvider(r, password) + webShopHCL(root, env, fmt.Sprintf("  run_as = %q\n", testenv.WebUser))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigStateChecks: upgradedWithArchiveIn(state),
			Check:             func(*terraformState) error { return touchedOnlyAs(record, root, uid) },
		}},
	})
}

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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
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
		},
	})
}
