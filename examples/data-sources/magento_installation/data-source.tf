data "magento_installation" "shop" {
  host         = "shop1.example.com"
  magento_root = "/var/www/magento"
}

output "shop_versions" {
  value = {
    magento             = data.magento_installation.shop.magento_version             # "2.4.7-p3"
    edition             = data.magento_installation.shop.magento_edition             # "community"
    data_migration_tool = data.magento_installation.shop.data_migration_tool_version # "2.4.6", or null
    php                 = data.magento_installation.shop.php_version
    composer            = data.magento_installation.shop.composer_version
  }
}
