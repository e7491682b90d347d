package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// An Alpine-like host: every command runs in BusyBox's sh, with BusyBox's grep, awk, tr
// and tar first on PATH. Reads give the same answers as on a GNU host, and an upgrade
// works there too.
func TestAccBusyBoxHost(t *testing.T) {
	bb := testenv.BusyBox(t)
	sessions := filepath.Join(t.TempDir(), "sessions") // one line per command BusyBox's sh ran
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{
		fmt.Sprintf("SetEnv PATH=%s:/usr/local/bin:/usr/bin:/bin", bb),
		fmt.Sprintf(`ForceCommand echo busybox >> %s; exec %s -c "$SSH_ORIGINAL_COMMAND"`, sessions, filepath.Join(bb, "sh")),
	}})
	commerce := r.root(t, testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8.1"})
	drifted := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	config := r.dmtConfig(drifted, "") + fmt.Sprintf(`
data "magento_installation" "commerce" {
  host         = "127.0.0.1"
  magento_root = %q
}
`, commerce)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.magento_installation.commerce", tfjsonpath.New("magento_version"), knownvalue.StringExact("2.4.8")),
				statecheck.ExpectKnownValue("data.magento_installation.commerce", tfjsonpath.New("magento_edition"), knownvalue.StringExact("enterprise")),
				statecheck.ExpectKnownValue("data.magento_installation.commerce", tfjsonpath.New("data_migration_tool_version"), knownvalue.StringExact("2.4.8.1")),
				expect("version", knownvalue.StringExact("2.4.7")),
				expect("magento_edition", knownvalue.StringExact("community")),
			},
			Check: resource.ComposeTestCheckFunc(requires(drifted, "2.4.7"), func(*terraformState) error {
				if b, err := os.ReadFile(sessions); err != nil || len(b) == 0 {
					return fmt.Errorf("no command ran in BusyBox's sh (%v)", err)
				}
				return nil
			}),
		}},
	})
}
