package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Every absolute root a shop can have survives id -> import ID -> magento_root.
func TestImportIDRoundTripsEveryRoot(t *testing.T) {
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

// magento_root is canonical: a trailing slash, // or /./ in the configuration is refused
// at validate with the canonical form, and an import ID that has them imports the
// canonical root, so the plan after it is empty (a replacement would remove the tool,
// then require it again).
func TestAccDataMigrationTool_rootIsCanonicalAtValidateAndImport(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	config := r.plainConfig(root)
	messy := filepath.Dir(root) + "//./" + filepath.Base(root) + "/"
	accTest(t, []resource.TestStep{
		{
			Config: r.plainConfig(root + "/"), PlanOnly: true,
			ExpectError: regexp.MustCompile(`Non-Canonical Path(.|\n)*` + regexp.QuoteMeta(strconv.Quote(root))),
		},
		{
			Config: r.plainConfig(messy), PlanOnly: true,
			ExpectError: regexp.MustCompile(`Non-Canonical Path(.|\n)*` + regexp.QuoteMeta(strconv.Quote(root))),
		},
		{Config: config},
		{
			Config: config, ResourceName: shop, ImportState: true, ImportStateId: fmt.Sprintf("ssh://root@127.0.0.1:%d%s", r.sshd.Port, messy),
			ImportStateVerify: true, ImportStateVerifyIgnore: []string{"last_backup"},
		},
		{
			Config: config, ResourceName: shop, ImportState: true, ImportStateId: fmt.Sprintf("ssh://root@127.0.0.1:%d%s/", r.sshd.Port, root),
			ImportStateKind: resource.ImportBlockWithID,
		},
	})
}

// terraform import and an import block with the id (ssh://user@host:port/root) adopt
// the shop as its state holds it; an id of another form is refused, showing the form.
func TestAccDataMigrationTool_importByIDAdoptsTheShopAndRefusesABadID(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	id := fmt.Sprintf("ssh://root@127.0.0.1:%d%s", r.sshd.Port, root)
	config := r.plainConfig(root)
	accTest(t, []resource.TestStep{
		{Config: config},
		{
			Config: config, ResourceName: shop, ImportState: true, ImportStateId: id,
			ImportStateVerify: true, ImportStateVerifyIgnore: []string{"last_backup"},
		},
		{
			Config: config, ResourceName: shop, ImportState: true, ImportStateId: id,
			ImportStateKind: resource.ImportBlockWithID,
		},
		{
			Config: config, ResourceName: shop, ImportState: true, ImportStateId: "shop1:/var/www/magento",
			ExpectError: regexp.MustCompile(`Invalid Import ID(.|\n)*ssh://user@host:port/path/to/magento`),
		},
	})
}

// A root at a path with spaces, %, #, ? and non-ASCII survives id -> terraform import ->
// magento_root: the ID is a URL, percent-encoded.
func TestAccDataMigrationTool_importIDCarriesAnyRootPath(t *testing.T) {
	r := newRig(t)
	root := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "shop 100% #1?", "bücher"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	config := r.plainConfig(root)
	accTest(t, []resource.TestStep{
		{Config: config, ConfigStateChecks: []statecheck.StateCheck{expect("magento_root", knownvalue.StringExact(root))}},
		{
			Config: config, ResourceName: shop, ImportState: true,
			ImportStateIdFunc: func(s *terraformState) (string, error) {
				return s.RootModule().Resources[shop].Primary.Attributes["id"], nil
			},
			ImportStateVerify: true, ImportStateVerifyIgnore: []string{"last_backup"},
		},
	})
}
