# A fleet split over many Terraform runs: one state per group of shops (a workspace
# each, or one CI job each), the same configuration for all. Each group's shops come
# from a variable, so a pipeline can pass them, or a file per group:
#
#   terraform workspace select -or-create eu
#   terraform plan -var-file=groups/eu.tfvars -out=eu.tfplan    # one listing per host and repository set
#   terraform apply eu.tfplan                                    # installs what the plan showed, lists nothing
#
# In CI, one job per group: TF_WORKSPACE=eu terraform plan ... in a job, then
# terraform apply of the saved plan in a later job, on any runner.
#
# What holds across the runs: the lock on each Magento root (two runs never upgrade one
# root at once), per_host_parallelism (slots kept on the host: two runs against one web
# node together run at most that many upgrades), the saved plans (applied on another
# runner, they install the planned release), and each runner's private caches (per
# runner, nothing secret). Keep the shops of one web node in one group: a run lists
# releases once per host and repository set.
terraform {
  required_version = ">= 1.8"
  required_providers {
    magento = {
      source = "magento-ops/magento"
    }
  }
  # One state per workspace: any backend with workspaces, e.g.
  # backend "s3" { bucket = "tf-state" key = "magento/fleet.tfstate" workspace_key_prefix = "magento" }
}

variable "magento_repo_auth" {
  description = "COMPOSER_AUTH JSON with the repo.magento.com access keys, e.g. from TF_VAR_magento_repo_auth."
  type        = string
  sensitive   = true
}

variable "shops" {
  description = "This group's shops (this workspace's), by name: the web node and where Magento lives."
  type = map(object({
    host  = string
    root  = string
    owner = optional(string, "magento")
  }))
  default = {
    "shop-a" = { host = "web1.eu.example.com", root = "/var/www/shop-a" }
    "shop-b" = { host = "web1.eu.example.com", root = "/var/www/shop-b", owner = "shopb" }
  }
}

provider "magento" {
  ssh {
    user             = "deploy"
    private_key      = file("~/.ssh/id_ed25519")
    known_hosts_file = "~/.ssh/known_hosts"
  }
  composer_auth = var.magento_repo_auth

  # Composer runs at once per web node within this run. Runs of other groups against
  # the same node are not counted: schedule them apart (one CI concurrency group per
  # web node) or keep a node's shops in one group.
  per_host_parallelism = 2
}

resource "magento_data_migration_tool" "shop" {
  for_each     = var.shops
  host         = each.value.host
  magento_root = each.value.root
  run_as       = each.value.owner
}

output "data_migration_tool_versions" {
  description = "The tool's version per shop of this group."
  value       = { for name, shop in magento_data_migration_tool.shop : "${terraform.workspace}/${name}" => shop.version }
}
