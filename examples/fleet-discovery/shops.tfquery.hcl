# The candidate roots on each web server; roots that are not Magento 2 are skipped.
list "magento_data_migration_tool" "shop_a" {
  provider = magento
  config {
    host         = "web1.shop-a.example.com"
    search_paths = ["/var/www/*"]
  }
}

list "magento_data_migration_tool" "shop_b" {
  provider = magento
  config {
    host         = "web1.shop-b.example.com"
    search_paths = ["/var/www/*", "/home/*/public_html"]
  }
}
