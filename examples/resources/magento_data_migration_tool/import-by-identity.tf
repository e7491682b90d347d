# Terraform 1.12 and later: import by identity. user and port are needed only where
# they differ from the provider's ssh settings.
import {
  to = magento_data_migration_tool.shop
  identity = {
    host         = "shop1.example.com"
    magento_root = "/var/www/magento"
  }
}
