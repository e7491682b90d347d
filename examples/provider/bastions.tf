# A shop reachable only through two jump hosts. Each hop's host key is verified; hops
# inherit the user, key and known_hosts file unless they set their own.
provider "magento" {
  ssh {
    user             = "magento"
    private_key_file = "~/.ssh/id_ed25519"
    known_hosts_file = "~/.ssh/known_hosts"
    connect_timeout  = "1m" # retries refused connections (a rebooting host) for up to a minute

    bastion {
      host = "bastion.example.com"
      user = "jump"
    }
    bastion {
      host             = "10.0.1.5"
      port             = 2222
      known_hosts_file = "~/.ssh/known_hosts.internal"
    }
  }
}
