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

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Two roots share one backup directory with keep = 1: each keeps its own newest
// archive. The directory the provider creates is 0700 and the archives (which hold
// config.xml with both databases' passwords) 0600, whatever the login shell's umask.
func TestAccDataMigrationTool_sharedBackupDirectoryKeepsEachRootsArchives(t *testing.T) {
	r := newRig(t)
	roots := []string{
		r.root(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8"}),
		r.repo.NewRoot(t, filepath.Join(t.TempDir(), "second"), testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8"}),
	}
	backupDir := filepath.Join(t.TempDir(), "backups", "magento-dmt")
	config := func(pin string) string {
		c := r.providerConfig()
		for i, root := range roots {
			c += fmt.Sprintf(`
resource "magento_data_migration_tool" "shop%d" {
  host         = "127.0.0.1"
  magento_root = %q
  version      = %q
  composer_env = %s
  backup {
    directory = %q
    keep      = 1
  }
}
`, i, root, pin, r.composerEnvHCL(), backupDir)
		}
		return c
	}
	check := func(s *terraformState) error {
		if info, err := os.Stat(backupDir); err != nil || info.Mode().Perm() != 0o700 {
			return fmt.Errorf("the backup directory the provider created is not 0700: %v %v", info.Mode(), err)
		}
		archives, _ := filepath.Glob(filepath.Join(backupDir, magento.ArchivePrefix+"*.tar.gz"))
		if len(archives) != 2 {
			return fmt.Errorf("want one archive per root with keep = 1, found %v", archives)
		}
		for i := range roots {
			last := s.RootModule().Resources[fmt.Sprintf("magento_data_migration_tool.shop%d", i)].Primary.Attributes["last_backup"]
			info, err := os.Stat(last)
			if err != nil {
				return fmt.Errorf("last_backup of %s is gone: %v", roots[i], err)
			}
			if info.Mode().Perm() != 0o600 {
				return fmt.Errorf("%s is %v, want 0600", last, info.Mode().Perm())
			}
		}
		return nil
	}
	accTest(t, []resource.TestStep{
		{Config: config("2.4.8.1"), Check: check},
		{Config: config("2.4.8"), Check: check},
	})
}

// A file named in preserve_paths survives every upgrade and is in every archive; with
// keep = 2 the oldest archive is pruned, the newest kept by modification time.
func TestAccDataMigrationTool_preservedPathsSurviveAndOldArchivesArePruned(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.6-p4", DMT: "2.4.6"})
	backupDir := filepath.Join(t.TempDir(), "dmt backups")
	mapFile := "etc/opensource-to-opensource/1.9.4.5/map.xml"
	custom := "<map customised=\"by the shop\"/>\n"
	if err := os.WriteFile(filepath.Join(root, "vendor/magento/data-migration-tool", mapFile), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	config := func(pin string) string {
		return r.dmtConfig(root, fmt.Sprintf(`  version        = %q
  preserve_paths = [%q]
  backup {
    directory = %q
    keep      = 2
  }`, pin, mapFile, backupDir))
	}
	var seen []string
	step := func(pin string, wantArchives int) resource.TestStep {
		return resource.TestStep{
			Config: config(pin),
			Check: func(s *terraformState) error {
				last := s.RootModule().Resources[shop].Primary.Attributes["last_backup"]
				seen = append(seen, last)
				if b, err := os.ReadFile(filepath.Join(root, "vendor/magento/data-migration-tool", mapFile)); err != nil || string(b) != custom {
					return fmt.Errorf("the customised map file did not survive the upgrade to %s: %q, %v", pin, b, err)
				}
				out, err := exec.Command("tar", "-tzf", last).CombinedOutput()
				if err != nil {
					return fmt.Errorf("last_backup %s is not a readable archive: %v %s", last, err, out)
				}
				for _, member := range []string{"composer.json", "composer.lock", "vendor/composer/installed.json", "vendor/magento/data-migration-tool/" + mapFile} {
					if !strings.Contains(string(out), member+"\n") {
						return fmt.Errorf("archive %s lacks %s", last, member)
					}
				}
				archives, _ := filepath.Glob(filepath.Join(backupDir, magento.ArchivePrefix+"*.tar.gz"))
				if len(archives) != wantArchives {
					return fmt.Errorf("want %d archives with keep = 2, found %v", wantArchives, archives)
				}
				if len(seen) == 3 {
					if _, err := os.Stat(seen[0]); !os.IsNotExist(err) {
						return fmt.Errorf("the oldest archive %s was not pruned", seen[0])
					}
				}
				return nil
			},
		}
	}
	// Pruning keeps the newest by modification time: age the archives made so far, an
	// hour per step, rather than sleeping between steps.
	age := func() {
		for i, archive := range seen {
			when := time.Now().Add(-time.Duration(len(seen)-i) * time.Hour)
			if err := os.Chtimes(archive, when, when); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	steps := []resource.TestStep{step("2.4.6.1", 1), step("2.4.6", 2), step("2.4.6.1", 2)}
	steps[1].PreConfig, steps[2].PreConfig = age, age
	accTest(t, steps)
}

// A fleet's first apply: eight roots share one backup directory that does not exist
// yet, and all eight create it at once. None fails, and the directory is private. The
// host's mkdir loses the race every time (another apply creates the directory just
// before), which eight applies at once hit only now and then.
func TestAccDataMigrationTool_sharedBackupDirectoryCreatedAtOnce(t *testing.T) {
	r := rigWithShim(t, "mkdir", func(realPath string) string {
		return "if [ \"$1\" = -m ] && [ \"$2\" = 700 ]; then " + realPath + " -m 700 \"$3\" 2>/dev/null; fi"
	})
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
	accTest(t, []resource.TestStep{{Config: config, Check: func(*terraformState) error {
		info, err := os.Stat(dir)
		if err != nil || info.Mode().Perm() != 0o700 {
			return fmt.Errorf("the backup directory is not private: %v %v", info, err)
		}
		if archives, _ := filepath.Glob(filepath.Join(dir, "tf-magento-dmt-*.tar.gz")); len(archives) != 8 {
			return fmt.Errorf("want 8 archives, got %v", archives)
		}
		return nil
	}}})
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
	applyFails(t, root, r.dmtConfig(root, "  backup {\n    magento_setup_backup = [\"db\"]\n  }\n  timeouts {\n    create = \"10s\"\n  }"), regexp.MustCompile(`(?s)Operation\s+Timed\s+Out.*maintenance\s+mode.*turned\s+off\s+again`+
		`.*composer\.json,\s+composer\.lock\s+and\s+the\s+tool\s+were\s+not\s+changed`))
	if _, err := os.Stat(filepath.Join(root, "var/.maintenance.flag")); !os.IsNotExist(err) {
		t.Error("the shop was left in maintenance mode")
	}
}

// The backup directory's filesystem is full (a small tmpfs): the apply fails before
// writing, naming both numbers, leaves no archive and no lock and the root as it was;
// with space back, it succeeds.
func TestAccDataMigrationTool_fullBackupDiskRefusesBeforeWriting(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	dir := filepath.Join(t.TempDir(), "backups")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	mounted := true
	unmount := func() {
		if mounted {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Fatalf("umount: %v %s", err, out)
			}
			mounted = false
		}
	}
	t.Cleanup(unmount)
	config := r.dmtConfig(root, fmt.Sprintf("  backup {\n    directory = %q\n  }", dir))
	applyFails(t, root, config, regexp.MustCompile(`(?s)disk\s+is\s+full:\s+the\s+backup\s+directory\s+`+regexp.QuoteMeta(dir)+
		`\s+has\s+\d+\s+KiB\s+free,\s+and\s+the\s+archive\s+needs\s+up\s+to\s+\d+\s+KiB.*Nothing\s+was\s+changed`))
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("the full disk holds %v", left)
	}
	if _, err := os.Stat(filepath.Join(root, "var/.tf-magento-dmt.lock")); !os.IsNotExist(err) {
		t.Error("the lock was not released")
	}
	unmount() // space back
	accTest(t, []resource.TestStep{{Config: config, Check: requires(root, "2.4.7")}})
}

// A backup directory others can write (archives hold config.xml's passwords) is
// refused before anything runs, naming the path, its owner and mode, and the fix; no
// archive is written into it.
func TestAccDataMigrationTool_backupDirectoryOthersCanWriteIsRefused(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	shared := filepath.Join(t.TempDir(), "backups")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil { // whatever the umask
		t.Fatal(err)
	}
	applyFails(t, root, r.dmtConfig(root, fmt.Sprintf("  backup {\n    directory = %q\n  }", shared)),
		regexp.MustCompile(`(?s)`+regexp.QuoteMeta(shared)+`.*is\s+not\s+private.*owned\s+by\s+root\s+\(uid\s+0\)\s+with\s+mode\s+drwxrwxrwx`+
			`.*chmod\s+go-w.*backup\s+\{\s+directory\s+\}.*Nothing\s+was\s+changed`))
	if left, _ := filepath.Glob(filepath.Join(shared, "*")); len(left) != 0 {
		t.Errorf("an archive was written into the directory others can write: %v", left)
	}
}
