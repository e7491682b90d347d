package provider

import (
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// Every absolute root a shop can have survives id -> import ID -> magento_root.
func TestImportIDRoundTrip(t *testing.T) {
	for _, root := range []string{
		"/var/www/magento",
		"/srv/my shop/current",
		"/srv/100%/magento",
		"/srv/%41/magento", // looks escaped; is not
		"/srv/shop#1/magento",
		"/srv/what?/magento",
		"/srv/bücher-straße/magento",
		"/",
	} {
		c := remote.Config{Host: "shop1.example.com", Port: 2222, User: "deploy"}
		id := connectionID(c, root)
		got, err := parseImportID(id)
		if err != nil {
			t.Fatalf("%q: id %q does not parse: %v", root, id, err)
		}
		if got.root != root || got.host != c.Host || got.port != c.Port || got.user != c.User {
			t.Fatalf("%q: id %q parsed to %+v", root, id, got)
		}
	}
}
