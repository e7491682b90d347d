# Follow Magento: after every Magento upgrade, the next apply installs the newest
# Data Migration Tool release for Magento's version.
resource "magento_data_migration_tool" "shop" {
  host         = "shop1.example.com"
  magento_root = "/var/www/magento"
  run_as       = "magento"

  backup {
    directory = "/var/backups/magento-dmt"
    keep      = 5
  }

  # Custom map files live inside vendor/ and would be lost on upgrade.
  preserve_paths = [
    "etc/opensource-to-opensource/1.9.4.5/map.xml",
    "etc/opensource-to-opensource/1.9.4.5/config.xml",
  ]

  timeouts {
    update = "30m"
  }
}

# Pin an exact release (its first three parts must match Magento's version).
resource "magento_data_migration_tool" "staging" {
  host         = "staging.example.com"
  magento_root = "/var/www/magento"
  version      = "2.4.8.1"

  ssh {
    user = "deploy"
    port = 2222
  }
}
