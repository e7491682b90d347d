# Short-lived OpenSSH user certificate (ssh-keygen -s), and an ssh-agent for the key.
# Host certificates are trusted through @cert-authority lines in known_hosts.
provider "magento" {
  ssh {
    user             = "deploy"
    agent            = true
    certificate_file = "~/.ssh/id_ed25519-cert.pub"
    private_key_file = "~/.ssh/id_ed25519"
    known_hosts_file = "~/.ssh/known_hosts" # may hold: @cert-authority *.example.com ssh-ed25519 AAAA...
  }
}
