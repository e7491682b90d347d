# The shops of the "eu" group (workspace eu): keep the shops of one web node together.
shops = {
  "shop-a" = { host = "web1.eu.example.com", root = "/var/www/shop-a" }
  "shop-b" = { host = "web1.eu.example.com", root = "/var/www/shop-b", owner = "shopb" }
  "shop-c" = { host = "web2.eu.example.com", root = "/srv/shop-c/current", owner = "shopc" }
}
