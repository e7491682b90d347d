# A fleet of shops behind a jump host, adopted into Terraform with import blocks and
# kept in step with Magento from then on. Copy this file, fill in var.shops, and run
# `terraform plan`: shops whose tool matches Magento show no changes.
terraform {
  required_version = ">= 1.8"
  required_providers {
    magento = {
      source = "magento-ops/magento"
    }
  }
}

variable "magento_repo_auth" {
  description = "COMPOSER_AUTH JSON with the repo.magento.com access keys, e.g. from TF_VAR_magento_repo_auth."
  type        = string
  sensitive   = true
}

variable "shops" {
  description = "The shops, by host name: where Magento lives and which user owns its files."
  type = map(object({
    root  = string
    owner = optional(string, "magento")
  }))
  default = {
    "web1.shop-a.example.com" = { root = "/var/www/magento" }
    "web1.shop-b.example.com" = { root = "/srv/shop-b/current", owner = "shopb" }
  }
}

provider "magento" {
  ssh {
    user             = "deploy"
    private_key      = file("~/.ssh/id_ed25519")
    known_hosts_file = "~/.ssh/known_hosts"

    bastion {
      host = "bastion.example.com"
    }
  }
  composer_auth = var.magento_repo_auth

  # Composer takes a core and 1-2 GB per run: at most two at once per web node
  # (the default), whatever terraform apply -parallelism says.
  per_host_parallelism = 2
}

resource "magento_data_migration_tool" "shop" {
  for_each     = var.shops
  host         = each.key
  magento_root = each.value.root
  run_as       = each.value.owner # sudo -n -u: composer writes files as the shop's owner

  backup {
    keep = 5 # archives go to the SSH user's private state directory
  }

  timeouts {
    update = "30m"
  }
}

# Adopt the shops as they are: no composer runs for a shop that is already in step.
import {
  for_each = var.shops
  to       = magento_data_migration_tool.shop[each.key]
  id       = "ssh://deploy@${each.key}:22${each.value.root}"
}

output "data_migration_tool_versions" {
  value = { for host, shop in magento_data_migration_tool.shop : host => shop.version }
}
