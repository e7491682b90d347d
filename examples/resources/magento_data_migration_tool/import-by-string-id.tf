import {
  to = magento_data_migration_tool.shop
  id = "ssh://magento@shop1.example.com:22/var/www/magento"
}
