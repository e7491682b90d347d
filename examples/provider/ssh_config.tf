# ~/.ssh/config:
#
#   Host shop-*
#     User magento
#     IdentityFile ~/.ssh/id_ed25519
#   Host shop-eu
#     HostName i-0123456789abcdef0
#     ProxyCommand aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p
provider "magento" {
  ssh {
    config_file = "~/.ssh/config"
  }
}

resource "magento_data_migration_tool" "eu" {
  host         = "shop-eu" # the alias: HostName, User, key and ProxyCommand come from the file
  magento_root = "/var/www/magento"
}
