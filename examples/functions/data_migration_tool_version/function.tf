# The tool release line a shop needs, from the Magento version the data source reads.
data "magento_installation" "shop" {
  host         = "shop1.example.com"
  magento_root = "/var/www/magento"
}

output "tool_needed" {
  value = provider::magento::data_migration_tool_version(data.magento_installation.shop.magento_version) # "2.4.7" for Magento 2.4.7-p3
}
