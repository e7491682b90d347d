# terraform query (Terraform 1.14 and later) lists the Magento roots under these globs;
# terraform query -generate-config-out=shops.tf writes a resource and an import block
# for each.
list "magento_data_migration_tool" "web1" {
  provider = magento
  config {
    host         = "web1.example.com"
    search_paths = ["/var/www/*", "/home/*/public_html"]
  }
}
