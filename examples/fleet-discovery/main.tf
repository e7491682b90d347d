# A fleet where each shop has its own repo.magento.com keys, adopted with discovery:
#
#   terraform query -generate-config-out=shops.tf   # Terraform 1.14+: finds the shops (shops.tfquery.hcl)
#   terraform plan                                  # imports them and shows the fleet's drift
#
# then move the generated blocks into the for_each below, as done here for two shops.
# The keys are ephemeral: they reach Composer on each host and never the plan or state
# (composer_auth_wo needs Terraform or OpenTofu 1.11 or later).
terraform {
  required_version = ">= 1.14"
  required_providers {
    magento = {
      source = "magento-ops/magento"
    }
  }
}

variable "shop_keys" {
  description = "COMPOSER_AUTH JSON per shop host, e.g. from TF_VAR_shop_keys in the pipeline's secret store."
  type        = map(string)
  sensitive   = true
  ephemeral   = true
}

variable "shop_keys_version" {
  description = "Bump when the keys in shop_keys change: an update that runs nothing on the hosts."
  type        = number
  default     = 1
}

locals {
  shops = {
    "web1.shop-a.example.com" = "/var/www/shop-a"
    "web1.shop-b.example.com" = "/var/www/shop-b"
  }
}

provider "magento" {
  ssh {
    user             = "deploy"
    private_key      = file("~/.ssh/id_ed25519")
    known_hosts_file = "~/.ssh/known_hosts"
  }
}

resource "magento_data_migration_tool" "shop" {
  for_each                 = local.shops
  host                     = each.key
  magento_root             = each.value
  composer_auth_wo         = var.shop_keys[each.key]
  composer_auth_wo_version = var.shop_keys_version
}

# The shops terraform query found, adopted by identity (Terraform 1.12+).
import {
  for_each = local.shops
  to       = magento_data_migration_tool.shop[each.key]
  identity = {
    host         = each.key
    magento_root = each.value
  }
}
