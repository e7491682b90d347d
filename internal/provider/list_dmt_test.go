package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// webHost is one web server's document roots: a Magento Open Source shop in step with
// its tool, an Adobe Commerce shop (community and enterprise products in its lock)
// whose tool lags behind Magento, and a site that is not Magento. Its sshd gives every
// session the offline Composer settings, as a real host has its repositories
// configured, so generated configurations need no composer_env.
type webHost struct {
	*rig
	www, community, commerce string
}

func newWebHost(t *testing.T) webHost {
	t.Helper()
	repo := testenv.SharedRepo(t)
	h := webHost{rig: newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{repo.SSHDSetEnv()}})}
	h.www = filepath.Join(t.TempDir(), "www")
	h.community = repo.NewRoot(t, filepath.Join(h.www, "shop-a"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	h.commerce = repo.NewRoot(t, filepath.Join(h.www, "shop-b"), testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.7"})
	blog := filepath.Join(h.www, "blog")
	if err := os.MkdirAll(blog, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(blog, "composer.json"), []byte(`{"name": "acme/blog", "require": {"php": "^8.1"}}`), 0o644); err != nil { //nolint:gosec // a site's composer.json is world-readable
		t.Fatal(err)
	}
	return h
}

// listBlock is a list block searching the host's document roots.
func (h webHost) listBlock() string {
	return fmt.Sprintf(`
list "magento_data_migration_tool" "web" {
  provider = magento
  config {
    host         = "127.0.0.1"
    search_paths = [%q]
  }
}
`, h.www+"/*")
}

// terraform query finds the two shops, not the blog: their identities, with versions and
// edition in the display names.
func TestAccDataMigrationToolList_queryFindsOnlyMagentoShops(t *testing.T) {
	h := newWebHost(t)
	identity := func(root string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"host": knownvalue.StringExact("127.0.0.1"), "magento_root": knownvalue.StringExact(root),
			"user": knownvalue.Null(), "port": knownvalue.Null()}
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: h.providerConfig()},
			{
				Query:  true,
				Config: h.listBlock(), // the provider block is in the first step's configuration, which stays
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("magento_data_migration_tool.web", 2),
					querycheck.ExpectIdentity("magento_data_migration_tool.web", identity(h.community)),
					querycheck.ExpectIdentity("magento_data_migration_tool.web", identity(h.commerce)),
					querycheck.ExpectResourceDisplayName("magento_data_migration_tool.web", queryfilter.ByResourceIdentity(identity(h.commerce)),
						knownvalue.StringExact("127.0.0.1:"+h.commerce+" (Magento 2.4.8 enterprise, Data Migration Tool 2.4.7)")),
				},
			},
		},
	})
}

// terraform query -generate-config-out writes a resource and an import block per shop;
// terraform plan on the result imports both and updates exactly the drifted one.
func TestAccDataMigrationToolList_generatedConfigUpdatesOnlyTheDriftedShop(t *testing.T) {
	skipCLIBelow(t, tfversion.SkipBelow(tfversion.Version1_14_0))
	h := newWebHost(t)
	w := newCLIWorkspace(t, map[string]string{"main.tf": requireProvider + h.providerConfig(), "shops.tfquery.hcl": h.listBlock()})
	w.must("init", "-no-color")
	out := w.must("query", "-no-color", "-generate-config-out=shops.tf")
	if strings.Contains(out, "blog") || !strings.Contains(out, h.community) || !strings.Contains(out, h.commerce) {
		t.Fatalf("the query does not list exactly the two shops:\n%s", out)
	}
	generated, err := os.ReadFile(filepath.Join(w.dir, "shops.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if n, m := strings.Count(string(generated), `resource "magento_data_migration_tool"`), strings.Count(string(generated), "import {"); n != 2 || m != 2 {
		t.Fatalf("want 2 resource and 2 import blocks, got %d and %d:\n%s", n, m, generated)
	}
	if regexp.MustCompile(`(?m)^\s*version\s*=`).Match(generated) {
		t.Fatalf("the generated resources pin the installed version (they must follow Magento):\n%s", generated)
	}
	plan := strings.Join(strings.Fields(w.must("plan", "-no-color", "-out=tfplan")), " ")
	if !strings.Contains(plan, "Plan: 2 to import, 0 to add, 1 to change, 0 to destroy.") {
		t.Fatalf("the plan is not two imports and one update:\n%s", plan)
	}
	var updated []string
	for _, rc := range w.showJSON("tfplan").ResourceChanges {
		if slices.Contains(rc.Change.Actions, "update") {
			updated = append(updated, fmt.Sprint(rc.Change.After["magento_root"])+" -> "+fmt.Sprint(rc.Change.After["version"]))
		}
	}
	if len(updated) != 1 || updated[0] != h.commerce+" -> 2.4.8.1" {
		t.Fatalf("want one update of %s to 2.4.8.1 (the newest release for 2.4.8), got %q", h.commerce, updated)
	}
}
