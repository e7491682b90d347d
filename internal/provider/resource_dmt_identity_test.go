package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A fleet on port 22 with one shop behind another port: that shop's identity is its
// host, root and port (the user is the provider's, so it is left out). An import block
// with that identity adopts the shop with a no-op plan; a bad identity is refused at
// the attribute.
func TestAccDataMigrationTool_identityIsHostRootAndItsOwnPort(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	provider := strings.Replace(r.sshd.ProviderHCL(), fmt.Sprintf("port             = %d", r.sshd.Port), "port             = 22", 1)
	config := provider + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  ssh {
    port = %d
  }
}
`, root, r.sshd.Port)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectIdentity(shop, map[string]knownvalue.Check{
					"host":         knownvalue.StringExact("127.0.0.1"),
					"magento_root": knownvalue.StringExact(root),
					"user":         knownvalue.Null(),
					"port":         knownvalue.Int64Exact(int64(r.sshd.Port)),
				})},
			},
			{
				// A fresh workspace with an import block naming that identity: the plan
				// imports the shop and changes nothing; the identity comes back equal.
				Config: config, ResourceName: shop, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				Config: config + fmt.Sprintf(`
import {
  to       = magento_data_migration_tool.other
  identity = { host = "127.0.0.1", magento_root = "var/www/magento", port = %d }
}
`, r.sshd.Port) + dmtHCL("other", "127.0.0.1", "/var/www/magento"),
				ExpectError: regexp.MustCompile(`Invalid Import Identity(.|\n)*identity\.magento_root\s+must\s+be\s+the\s+absolute\s+path`),
			},
		},
	})
}

// setIdentity builds the identity's raw value by hand; it must be what the framework's
// Identity.Set makes of the same model, nulls included.
func TestSetIdentityMatchesTheFramework(t *testing.T) {
	ctx := context.Background()
	var sch fwresource.IdentitySchemaResponse
	(&dataMigrationToolResource{}).IdentitySchema(ctx, fwresource.IdentitySchemaRequest{}, &sch)
	for _, id := range []identityModel{
		{Host: types.StringValue("web1"), MagentoRoot: types.StringValue("/var/www/shop"), User: types.StringNull(), Port: types.Int64Null()},
		{Host: types.StringValue("web1"), MagentoRoot: types.StringValue("/var/www/shop"), User: types.StringValue("deploy"), Port: types.Int64Value(2222)},
	} {
		null := tftypes.NewValue(sch.IdentitySchema.Type().TerraformType(ctx), nil)
		want := tfsdk.ResourceIdentity{Schema: sch.IdentitySchema, Raw: null}
		if d := want.Set(ctx, id); d.HasError() {
			t.Fatal(d)
		}
		got := tfsdk.ResourceIdentity{Schema: sch.IdentitySchema, Raw: null}
		var diags diag.Diagnostics
		if setIdentity(ctx, &got, id, &diags); diags.HasError() {
			t.Fatal(diags)
		}
		if !got.Raw.Equal(want.Raw) {
			t.Errorf("setIdentity made %s, Identity.Set %s", got.Raw, want.Raw)
		}
	}
}
