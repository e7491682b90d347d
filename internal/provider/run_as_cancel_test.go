package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

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
	before := testenv.Digest(t, root, guardedPaths...)
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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: regexp.MustCompile(`(?s)Operation Timed Out.*interrupted.*restored\s+from`),
		}},
	})
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
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Errorf("the root is not as before:\n%s", diff)
	}
}
