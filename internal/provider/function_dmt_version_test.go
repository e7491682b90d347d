package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// The function gives the base version (X.Y.Z) of a Magento or tool version, and
// refuses what is not a release version. Runs through the CLI (resource.Test, not
// UnitTest: `make unit` has no Terraform CLI; the acceptance targets do). Terraform >=
// 1.8 and OpenTofu >= 1.7 call provider functions.
func TestAccFunction_toolVersionIsMagentosBaseVersion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2.4.7-p3", "2.4.7"},
		{"2.4.8", "2.4.8"},
		{"2.4.6.1", "2.4.6"},
		{"2.4.9-beta1", "2.4.9"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`output "base" { value = provider::magento::data_migration_tool_version(%q) }`, tc.in),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownOutputValue("base", knownvalue.StringExact(tc.want)),
					},
				}},
			})
		})
	}
	for _, bad := range []string{"latest", "2.4", "2.4.7-p3; rm -rf /"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{{
					Config:      fmt.Sprintf(`output "base" { value = provider::magento::data_migration_tool_version(%q) }`, bad),
					ExpectError: regexp.MustCompile(`(?s)Invalid\s+value\s+for\s+"magento_version"\s+parameter.*is\s+not\s+a\s+Magento\s+release\s+version`),
				}},
			})
		})
	}
}
