# Follow Magento: after every Magento upgrade, the next apply installs the newest
# Data Migration Tool release for Magento's version.
resource "magento_data_migration_tool" "shop" {
  host         = "shop1.example.com"
  magento_root = "/var/www/magento"
  run_as       = "magento"

  # Archives default to the SSH user's private state directory; a directory set
  # here must be private too (owned by the SSH user, writable by no one else).
  backup {
    directory = "/srv/dmt-backups"
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

# A Plesk (or cPanel) host: the OS PHP first on PATH is old, the shop runs PHP 8.3.
# With php set, bin/magento and Composer run under it: a Composer that is a PHP
# program (composer.phar, or a `#!/usr/bin/env php` script) runs as `<php> <composer>`.
# The tool stays in require-dev when the shop keeps it there.
resource "magento_data_migration_tool" "plesk" {
  host         = "web3.example.com"
  magento_root = "/var/www/vhosts/shop.example.com/httpdocs"
  run_as       = "shopuser"
  php          = "/opt/plesk/php/8.3/bin/php"
  composer     = "/usr/local/bin/composer.phar"
}

# Deployer or Capistrano: the root is the `current` symlink (var/ links into shared/).
# Each plan reads the release `current` points at now, and the apply upgrades that one.
# Archives go to the SSH user's private state directory, outside every release.
resource "magento_data_migration_tool" "deployer" {
  host         = "web4.example.com"
  magento_root = "/var/www/shop/current"
}
