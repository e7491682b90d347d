variable "magento_repo_auth" {
  description = "COMPOSER_AUTH JSON with the repo.magento.com access keys."
  type        = string
  sensitive   = true
}

provider "magento" {
  ssh {
    user             = "magento"
    private_key      = file("~/.ssh/id_ed25519")
    known_hosts_file = "~/.ssh/known_hosts"
  }
  composer_auth = var.magento_repo_auth
}
