package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// An apply killed outright weeks ago left its lock and restore marker; since then the
// operator upgraded Magento by hand. Restoring the old archive would put the old
// composer.lock over the new vendor/: the apply changes nothing and says what differs,
// when the interrupted apply ran, and how to clear the lock.
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
	before := testenv.Digest(t, root, guardedPaths...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: r.dmtConfig(root, ""),
			ExpectError: regexp.MustCompile(`(?s)interrupted\s+at\s+2026-11-01T03:00:00Z.*moved\s+on.*magento/product-community-edition\s+2\.4\.7-p3\s+->\s+2\.4\.8` +
				`.*rm\s+'` + regexp.QuoteMeta(record) + `'.*Nothing\s+was\s+changed`),
		}},
	})
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Fatalf("later work was reverted:\n%s", diff)
	}
	if _, err := os.Stat(record); err != nil {
		t.Fatal("the record must stay for the operator to check")
	}
}

// var/ is writable by the web server's user, who can plant a lock whose holder only
// looks dead (no machine or boot id to prove it): it is held, never taken over. A backup
// directory others can write is refused before anything runs, naming the path, its owner
// and mode, and the fix.
func TestAccDataMigrationTool_untrustedPlacesAreRefused(t *testing.T) {
	r := newRig(t)
	testenv.EnsureWebUser(t)
	uid, gid := testenv.IDs(t, testenv.WebUser)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	planted := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	lock := leaveLock(t, planted, map[string]string{"owner": "999999999 " + host + " 2026-11-26T03:00:00Z\n"})
	chownTree(t, lock, uid, gid)
	loose := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	shared := filepath.Join(t.TempDir(), "backups")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil { // whatever the umask
		t.Fatal(err)
	}
	before := map[string]map[string]string{planted: testenv.Digest(t, planted, guardedPaths...), loose: testenv.Digest(t, loose, guardedPaths...)}
	for _, tc := range []struct{ root, extra, want string }{
		{planted, "", `another\s+apply\s+holds\s+the\s+lock.*999999999.*cannot\s+be\s+told.*rm\s+-rf\s+'` + regexp.QuoteMeta(lock) + `'.*Nothing\s+was\s+changed`},
		{loose, fmt.Sprintf("  backup {\n    directory = %q\n  }", shared), regexp.QuoteMeta(shared) + `.*is\s+not\s+private.*owned\s+by\s+root\s+\(uid\s+0\)\s+with\s+mode\s+drwxrwxrwx.*chmod\s+go-w.*backup\s+\{\s+directory\s+\}.*Nothing\s+was\s+changed`},
	} {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProviders,
			Steps:                    []resource.TestStep{{Config: r.dmtConfig(tc.root, tc.extra), ExpectError: regexp.MustCompile(`(?s)` + tc.want)}},
		})
		if diff := testenv.DiffDigests(before[tc.root], testenv.Digest(t, tc.root, guardedPaths...)); diff != "" {
			t.Errorf("files changed:\n%s", diff)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(shared, "*")); len(left) != 0 {
		t.Errorf("an archive was written into the loose directory: %v", left)
	}
}

// A fleet's first apply: eight roots share one backup directory that does not exist
// yet, and all eight create it at once. None fails, and the directory is private. The
// host's mkdir loses the race every time (another apply creates the directory just
// before), which eight applies at once hit only now and then.
func TestAccDataMigrationTool_sharedBackupDirectoryCreatedAtOnce(t *testing.T) {
	realMkdir, err := exec.LookPath("mkdir")
	if err != nil {
		t.Fatal(err)
	}
	shims := t.TempDir()
	shim := "#!/bin/sh\nif [ \"$1\" = -m ] && [ \"$2\" = 700 ]; then " + realMkdir + " -m 700 \"$3\" 2>/dev/null; fi\nexec " + realMkdir + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shims, "mkdir"), []byte(shim), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{"SetEnv PATH=" + shims + ":/usr/local/bin:/usr/bin:/bin"}})
	dir := filepath.Join(t.TempDir(), "fleet", "dmt-backups")
	config := r.providerConfig()
	for i := range 8 {
		root := r.repo.NewRoot(t, filepath.Join(t.TempDir(), fmt.Sprintf("shop%d", i)), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
		config += fmt.Sprintf(`
resource "magento_data_migration_tool" "shop%d" {
  host         = "127.0.0.1"
  magento_root = %q
  composer_env = %s
  backup {
    directory = %q
  }
}
`, i, root, r.composerEnvHCL(), dir)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{Config: config, Check: func(*terraformState) error {
			info, err := os.Stat(dir)
			if err != nil || info.Mode().Perm() != 0o700 {
				return fmt.Errorf("the backup directory is not private: %v %v", info, err)
			}
			if archives, _ := filepath.Glob(filepath.Join(dir, "tf-magento-dmt-*.tar.gz")); len(archives) != 8 {
				return fmt.Errorf("want 8 archives, got %v", archives)
			}
			return nil
		}}},
	})
}

// The disk fills while a failed upgrade restores its backup: the restore extracts into
// a directory inside the root first, so the root keeps every file (as the failed
// Composer left them), and the error says the restore failed, why, and what is owed.
func TestAccDataMigrationTool_failedRestoreLeavesTheRoot(t *testing.T) {
	realTar, err := exec.LookPath("tar")
	if err != nil {
		t.Fatal(err)
	}
	shims := t.TempDir()
	// The restore extracts the whole archive (4 arguments): the disk is full then.
	shim := "#!/bin/sh\nif [ \"$1\" = -xzof ] && [ $# -eq 4 ]; then echo 'tar: composer.lock: Cannot write: No space left on device' >&2; exit 2; fi\nexec " + realTar + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shims, "tar"), []byte(shim), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{"SetEnv PATH=" + shims + ":/usr/local/bin:/usr/bin:/bin"}})
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	failing := filepath.Join(t.TempDir(), "composer-fails")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\"\necho 'Installation failed'\nexit 1\n"), 0o755); err != nil { //nolint:gosec // a test wrapper
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      r.dmtConfig(root, fmt.Sprintf("  composer = %q", failing)),
			ExpectError: regexp.MustCompile(`(?s)RESTORE\s+FAILED:.*No\s+space\s+left\s+on\s+device.*as\s+the\s+failed\s+apply\s+left\s+it.*record.*stays`),
		}},
	})
	for _, path := range guardedPaths {
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			t.Errorf("%s is gone after the failed restore: %v", path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(magento.StateDir(magento.RootStateBase, root), "owed")); err != nil {
		t.Error("the owed-restore record must stay while a restore is owed")
	}
}

// Killed (here: timed out) inside bin/magento setup:backup, which runs in maintenance
// mode: the shop was not in maintenance mode before, so the apply turns it off again,
// and does not claim that nothing was changed.
func TestAccDataMigrationTool_interruptedSetupBackupEndsMaintenance(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"var/backup-enabled.flag", "var/setup-backup.hang"} {
		if err := os.WriteFile(filepath.Join(root, flag), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := testenv.Digest(t, root, guardedPaths...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: r.dmtConfig(root, "  backup {\n    magento_setup_backup = [\"db\"]\n  }\n  timeouts {\n    create = \"10s\"\n  }"),
			ExpectError: regexp.MustCompile(`(?s)Operation\s+Timed\s+Out.*maintenance\s+mode.*turned\s+off\s+again` +
				`.*composer\.json,\s+composer\.lock\s+and\s+the\s+tool\s+were\s+not\s+changed`),
		}},
	})
	if _, err := os.Stat(filepath.Join(root, "var/.maintenance.flag")); !os.IsNotExist(err) {
		t.Error("the shop was left in maintenance mode")
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Errorf("files changed:\n%s", diff)
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
