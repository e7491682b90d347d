package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Two roots share one backup directory with keep = 1: each keeps its own newest
// archive. The directory the provider creates is 0700 and the archives (which hold
// config.xml with both databases' passwords) 0600, whatever the login shell's umask.
func TestAccDataMigrationTool_sharedBackupDirectory(t *testing.T) {
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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: config("2.4.8.1"), Check: check},
			{Config: config("2.4.8"), Check: check},
		},
	})
}
