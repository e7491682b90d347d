package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// run_as, php, composer and composer_env built from a resource that is created (or
// replaced) in the same apply are not known at plan: the plan reads nothing with
// defaults in their place (root's view, php, composer, no environment), leaves the
// versions "known after apply" and says why; the apply then reads and installs.
func TestAccUnknownValues_execSettings(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	config := func(serial int) string {
		return requireProvider + r.providerConfig() + fmt.Sprintf(`
resource "terraform_data" "exec" {
  input = {
    serial   = %d
    run_as   = "root"
    php      = "php"
    composer = "composer"
    env      = %s
  }
}

resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  run_as       = terraform_data.exec.output.run_as
  php          = terraform_data.exec.output.php
  composer     = terraform_data.exec.output.composer
  composer_env = terraform_data.exec.output.env
}

output "version" {
  value = magento_data_migration_tool.shop.version
}
`, serial, r.composerEnvHCL(), root)
	}
	w := newCLIWorkspace(t, map[string]string{"main.tf": config(1)})
	deferred := func(out string, unknown ...string) {
		t.Helper()
		if !strings.Contains(out, "Host Read Deferred Until Apply") && !strings.Contains(out, "Release Resolved At Apply") {
			t.Fatalf("the plan does not say why the versions wait for apply:\n%s", out)
		}
		for _, rc := range w.showJSON("tfplan").ResourceChanges {
			if rc.Type != "magento_data_migration_tool" {
				continue
			}
			for _, attr := range unknown {
				if rc.Change.AfterUnknown[attr] != true {
					t.Fatalf("%s plans %s = %v before run_as, php, composer and composer_env are known", rc.Address, attr, rc.Change.After[attr])
				}
			}
		}
	}

	// Create: nothing is read at plan.
	deferred(w.must("plan", "-no-color", "-out=tfplan"), "version", "magento_version", "magento_edition")
	w.must("apply", "-no-color", "tfplan")
	if v := w.showJSON().Values.Outputs["version"].Value; v != "2.4.7" {
		t.Fatalf("after apply the tool is at %v, want 2.4.7", v)
	}

	// Update: the tool fell behind and the settings are replaced in the same apply. The
	// refresh reads as before (state); the release is not listed with defaults.
	r.composer(t, root, "require", "magento/data-migration-tool:2.4.6")
	w.write("main.tf", config(2))
	deferred(w.must("plan", "-no-color", "-out=tfplan"), "version")
	w.must("apply", "-no-color", "tfplan")
	if v := w.showJSON().Values.Outputs["version"].Value; v != "2.4.7" {
		t.Fatalf("after apply the tool is at %v, want 2.4.7", v)
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("the plan after apply is not empty (%v):\n%s", err, out)
	}
}
