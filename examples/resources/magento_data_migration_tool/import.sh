# The ID is ssh://user@host:port/path/to/magento
terraform import magento_data_migration_tool.shop ssh://magento@shop1.example.com:22/var/www/magento
