package provider

import (
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
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// addComposerScript makes the root's composer.json run script on event: the shop's own
// code, which Composer runs for require and remove (and which may do anything).
func addComposerScript(t *testing.T, root, event, script string) {
	t.Helper()
	editComposerJSON(t, root, func(manifest map[string]any) { manifest["scripts"] = map[string]any{event: script} })
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
	accTest(t, []resource.TestStep{{
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
	}})
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
	config := r.providerConfig() + webShopHCL(root, env, "")
	applyFails(t, root, config, regexp.MustCompile(`(?s)owner\s+`+testenv.WebUser+`.*`+regexp.QuoteMeta(leftover)+`.*chown\s+-R\s+'?`+testenv.WebUser+
		`.*Nothing\s+was\s+changed`))
}

// An SSH user that is neither root nor the shop's owner, with run_as unset, is refused
// before anything runs, naming the owner and run_as.
func TestAccDataMigrationTool_sshUserThatIsNotTheOwnerNeedsRunAs(t *testing.T) {
	r := newRig(t)
	password := testenv.EnsureWebUser(t)
	root, env := webShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	config := deployUserProvider(r, password) + webShopHCL(root, env, "")
	applyFails(t, root, config, regexp.MustCompile(`(?s)owned\s+by\s+`+testenv.WebUser+`.*SSH\s+user\s+`+testenv.TestUser+
		`\s+is\s+neither\s+root\s+nor\s+that\s+owner.*run_as\s+=\s+"`+testenv.WebUser+`".*Nothing\s+was\s+changed`))
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
	accTest(t, []resource.TestStep{{
		Config:            config,
		ConfigStateChecks: upgradedWithArchiveIn(state),
		Check:             func(*terraformState) error { return touchedOnlyAs(record, root, uid) },
	}})
}

// With run_as, the resource and the data source read as that user (the root is
// readable by its owner only, and php -v runs as run_as), and every file the upgrade,
// the archive and the lock wrote belongs to it.
func TestAccDataMigrationTool_runAsReadsAndWritesAsThatUser(t *testing.T) {
	r := newRig(t)
	testenv.EnsureUser(t)
	uid, _ := testenv.IDs(t, testenv.TestUser)
	root, home := ownedShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}, testenv.TestUser)
	base := filepath.Dir(root)
	if err := os.Chmod(root, 0o700); err != nil { // readable by its owner only
		t.Fatal(err)
	}
	// The data source's php -v runs as run_as too: a php wrapper records who ran it.
	phpUser := filepath.Join(home, "php-user")
	phpSpy := filepath.Join(base, "php-spy")
	if err := os.WriteFile(phpSpy, []byte("#!/bin/sh\nid -un > "+phpUser+"\nexec php \"$@\"\n"), 0o755); err != nil { //nolint:gosec // a test script
		t.Fatal(err)
	}

	config := r.providerConfig() + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %[1]q
  run_as       = %[2]q
  composer_env = {
    COMPOSER_HOME     = %[3]q
    COMPOSER_NO_AUDIT = "1"
  }
}

data "magento_installation" "shop" {
  host         = "127.0.0.1"
  magento_root = %[1]q
  run_as       = %[2]q
  php          = %[4]q
}
`, root, testenv.TestUser, home, phpSpy)
	accTest(t, []resource.TestStep{{
		Config: config,
		ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7")),
			statecheck.ExpectKnownValue("data.magento_installation.shop", tfjsonpath.New("magento_version"), knownvalue.StringExact("2.4.7-p3")),
			statecheck.ExpectKnownValue("data.magento_installation.shop", tfjsonpath.New("php_version"), knownvalue.NotNull())},
		Check: func(*terraformState) error {
			if who, err := os.ReadFile(phpUser); err != nil || strings.TrimSpace(string(who)) != testenv.TestUser {
				return fmt.Errorf("the data source's php -v ran as %q (%v), want run_as %s", who, err, testenv.TestUser)
			}
			// Every file composer, the backup and the lock wrote belongs to the run_as user.
			if wrong, err := notOwnedBy(root, uid); err != nil || len(wrong) > 0 {
				return fmt.Errorf("not owned by %s (%d): %v (%v)", testenv.TestUser, uid, wrong, err)
			}
			return nil
		},
	}})
}

// chownTree gives root and everything below it to uid:gid, links included.
func chownTree(t *testing.T, root string, uid, gid int) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ownedShop is a root owned by owner, as on a real host where php and composer run as
// the files' owner (run_as): the root in a world-traversable directory (t.TempDir's
// parents are private to root), and a COMPOSER_HOME owner can write. It returns the root
// and that home.
func ownedShop(t *testing.T, r *rig, spec testenv.RootSpec, owner string) (root, home string) {
	t.Helper()
	uid, gid := testenv.IDs(t, owner)
	base, err := os.MkdirTemp("", "tfmagento-shop-") //nolint:usetesting // t.TempDir's parents are private to root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	root = r.repo.NewRoot(t, filepath.Join(base, "magento"), spec)
	home = filepath.Join(base, "composer-home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	chownTree(t, root, uid, gid)
	chownTree(t, home, uid, gid)
	return root, home
}

// webShop is a root owned by the web user, as on a real host: the SSH user is not root,
// and run_as reaches the web user through sudo. It returns the root and a composer_env
// whose COMPOSER_HOME the web user can write.
func webShop(t *testing.T, r *rig, spec testenv.RootSpec) (root, composerEnv string) {
	t.Helper()
	root, home := ownedShop(t, r, spec, testenv.WebUser)
	return root, fmt.Sprintf("{\n    COMPOSER_HOME = %q\n    COMPOSER_NO_AUDIT = \"1\"\n  }", home)
}

// A timeout with run_as through sudo: the SSH user may not signal the web user's
// processes, so the stop goes through the same sudo. Composer and the apply script are
// gone soon after the apply fails, the lock is released and the root is as before.
func TestAccDataMigrationTool_cancelReachesRunAs(t *testing.T) {
	r := newRig(t)
	password := testenv.EnsureWebUser(t)
	root, env := webShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	const sleep = "3607.5"
	hangs := filepath.Join(filepath.Dir(root), "composer-hangs")
	// Composer upgrades, then hangs (a stuck download, a post-install script).
	if err := os.WriteFile(hangs, []byte("#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\"\nexec sleep "+sleep+"\n"), 0o755); err != nil { //nolint:gosec // a test wrapper
		t.Fatal(err)
	}
	config := deployUserProvider(r, password) + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  run_as       = %q
  composer     = %q
  composer_env = %s
  timeouts {
    create = "12s"
  }
}
`, root, testenv.WebUser, hangs, env)
	before := applyFails(t, root, config, regexp.MustCompile(`(?s)Operation Timed Out.*interrupted.*restored\s+from`))
	var left string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, _ := exec.Command("pgrep", "-a", "-u", testenv.WebUser).Output()
		if left = strings.TrimSpace(string(out)); left == "" {
			break
		}
	}
	if left != "" {
		t.Errorf("10 s after the apply failed, processes of %s are still running:\n%s", testenv.WebUser, left)
	}
	if _, err := os.Stat(filepath.Join(root, "var", ".tf-magento-dmt.lock")); !os.IsNotExist(err) {
		t.Error("the lock was not released")
	}
	before.expectUnchanged() // and still, with the web user's processes gone
}
