package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

const shop = "magento_data_migration_tool.shop"

// guardedPaths are what an apply may change and a failed apply must restore.
var guardedPaths = []string{"composer.json", "composer.lock", "vendor/composer", "vendor/magento/data-migration-tool"}

func expect(attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(shop, tfjsonpath.New(attr), check)
}

func noBackups(root string) resource.TestCheckFunc {
	return func(*terraformState) error {
		if _, err := os.Stat(magento.StateDir(magento.RootStateBase, root)); !os.IsNotExist(err) {
			return fmt.Errorf("a backup directory exists, so the apply did more than adopt the install")
		}
		return nil
	}
}

// composerSpy is a composer command that logs each call to calls, then runs composer.
func composerSpy(t *testing.T) (command, calls string) {
	t.Helper()
	dir := t.TempDir()
	command, calls = filepath.Join(dir, "composer-spy"), filepath.Join(dir, "calls")
	if err := os.WriteFile(command, []byte("#!/bin/sh\necho \"$*\" >> '"+calls+"'\nexec composer \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return command, calls
}

func TestAccDataMigrationTool_adoptThenDrift(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	spy, calls := composerSpy(t)
	config := r.dmtConfig(root, fmt.Sprintf("  composer = %q", spy))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				// In sync already: create adopts the install without running composer.
				Config: config,
				Check: resource.ComposeTestCheckFunc(noBackups(root), func(*terraformState) error {
					if b, err := os.ReadFile(calls); err == nil {
						return fmt.Errorf("adopting ran composer: %s", b)
					}
					return nil
				}),
				ConfigStateChecks: []statecheck.StateCheck{
					expect("version", knownvalue.StringExact("2.4.7")),
					expect("magento_version", knownvalue.StringExact("2.4.7-p3")),
					expect("magento_edition", knownvalue.StringExact("community")),
					expect("last_backup", knownvalue.Null()),
					expect("id", knownvalue.StringExact(fmt.Sprintf("ssh://root@127.0.0.1:%d%s", r.sshd.Port, root))),
				},
			},
			{
				// Someone downgrades the tool by hand: the plan shows the drift, apply restores it.
				PreConfig: func() { r.composer(t, root, "require", "magento/data-migration-tool:2.4.6") },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.7")), // the exact release, at plan time
				}},
				Check: func(*terraformState) error {
					if b, _ := os.ReadFile(calls); !strings.Contains(string(b), "require magento/data-migration-tool:2.4.7") {
						return fmt.Errorf("the upgrade did not go through composer require: %q", b)
					}
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					expect("version", knownvalue.StringExact("2.4.7")),
					expect("last_backup", knownvalue.StringRegexp(regexp.MustCompile("^"+regexp.QuoteMeta(magento.StateDir(magento.RootStateBase, root))+"/tf-magento-dmt-.*\\.tar\\.gz$"))),
				},
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// A settings-only change is an in-place update that runs nothing on the host.
				PreConfig: func() { _ = os.Remove(calls) },
				Config:    strings.Replace(config, "  composer =", "  backup {\n    keep = 3\n  }\n  composer =", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.7")),
				}},
				Check: func(*terraformState) error {
					if b, err := os.ReadFile(calls); err == nil {
						return fmt.Errorf("a settings-only update ran composer: %s", b)
					}
					return nil
				},
			},
		},
	})
}

func TestAccDataMigrationTool_followsMagentoUpgrade(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config: r.dmtConfig(root, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.7")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
			},
			{
				// Magento is upgraded: the tool follows to the newest hotfix for 2.4.8.
				PreConfig: func() { r.composer(t, root, "require", "magento/product-community-edition:2.4.8", "-W") },
				Config:    r.dmtConfig(root, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.8.1")), // the newest hotfix
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expect("version", knownvalue.StringExact("2.4.8.1")),
					expect("magento_version", knownvalue.StringExact("2.4.8")),
				},
				Check: requires(root, "2.4.8.1"),
			},
		},
	})
}

func TestAccDataMigrationTool_pin(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.6-p4", DMT: "2.4.6"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            r.dmtConfig(root, `  version = "2.4.6.1"`),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.6.1"))},
				Check:             requires(root, "2.4.6.1"),
			},
			{
				// A pin of 2.4.6 over the installed 2.4.6.1 is drift: pins are exact.
				Config: r.dmtConfig(root, `  version = "2.4.6"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.6")),
				}},
				Check: requires(root, "2.4.6"),
			},
			{
				Config:      r.dmtConfig(root, `  version = "2.4.7"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Version Does Not Match Magento(.|\n)*2\.4\.7(.|\n)*2\.4\.6-p4`),
			},
			{
				Config:      r.dmtConfig(root, `  version = "2.4.6-p4"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Attribute version must be an exact Data Migration Tool version`),
			},
			{
				// Valid again, so the post-test destroy can run; nothing changed on the host.
				Config:   r.dmtConfig(root, `  version = "2.4.6"`),
				PlanOnly: true,
			},
		},
	})
}

func TestAccDataMigrationTool_failuresRestoreEverything(t *testing.T) {
	r := newRig(t)
	noRelease := r.root(t, testenv.RootSpec{Magento: "2.4.9", DMT: "2.4.8"})
	killed := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	wrapper := filepath.Join(t.TempDir(), "composer-killed")
	// Composer rewrites composer.json, the lock and vendor/, then dies.
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\" >/dev/null 2>&1\necho 'Killed'\nexit 137\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	disabledBackup := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	beforeDisabled := testenv.Digest(t, disabledBackup, guardedPaths...)
	beforeNoRelease := testenv.Digest(t, noRelease, guardedPaths...)
	beforeKilled := testenv.Digest(t, killed, guardedPaths...)
	unchanged := func(root string, before map[string]string) func() {
		return func() {
			if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
				t.Errorf("%s is not byte for byte as before:\n%s", root, diff)
			}
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      r.dmtConfig(noRelease, `  on_missing_release = "error"`),
				ExpectError: regexp.MustCompile(`no magento/data-migration-tool release exists for Magento 2\.4\.9(.|\n)*2\.4\.8\.1`),
			},
			{
				PreConfig:   unchanged(noRelease, beforeNoRelease),
				Config:      r.dmtConfig(killed, fmt.Sprintf("  composer = %q", wrapper)),
				ExpectError: regexp.MustCompile(`composer require magento/data-migration-tool:2\.4\.7 failed(.|\n)*restored\s+from(.|\n)*tf-magento-dmt-(.|\n)*Killed`),
			},
			{
				PreConfig:   unchanged(killed, beforeKilled),
				Config:      r.dmtConfig(disabledBackup, "  backup {\n    magento_setup_backup = [\"code\", \"db\"]\n  }"),
				ExpectError: regexp.MustCompile(`backup functionality is disabled(.|\n)*functionality_enabled 1`),
			},
			{
				PreConfig:   unchanged(disabledBackup, beforeDisabled),
				Config:      r.dmtConfig(disabledBackup, "  backup {\n    magento_setup_backup = [\"code\", \"files\"]\n  }"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`magento_setup_backup(.|\n)*value must be one of`),
			},
			{
				// After the failures, a plain apply converges the restored root.
				Config:            r.dmtConfig(killed, ""),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
			},
		},
	})
}

func TestAccDataMigrationTool_removedOutOfBandAndHostDown(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	// A short connect_timeout: a down host is retried until it is spent.
	config := r.dmtConfig(root, `  ssh {
    connect_timeout = "2s"
  }`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// The host is down: the plan fails once connect_timeout is spent on retries,
				// and the resource stays in state.
				PreConfig:   func() { r.sshd.Stop() },
				Config:      config,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`SSH Connection Failed(.|\n)*connection refused(.|\n)*gave up after`),
			},
			{
				PreConfig: func() { r.sshd.Start(t) },
				Config:    config,
				PlanOnly:  true, // an empty plan: the state survived the failed refresh
			},
			{
				// The tool is removed by hand: the plan creates it again.
				PreConfig: func() { r.composer(t, root, "remove", "magento/data-migration-tool") },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
			},
		},
	})
}

func TestAccDataMigrationTool_import(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	id := fmt.Sprintf("ssh://root@127.0.0.1:%d%s", r.sshd.Port, root)
	config := r.plainConfig(root)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
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
		},
	})
}

// plainConfig is a resource with only host and magento_root, as an import leaves it.
func (r *rig) plainConfig(root string) string {
	return r.providerConfig() + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
}
`, root)
}

// requires checks the exact requirement composer.json records.
func requires(root, version string) resource.TestCheckFunc {
	return func(*terraformState) error {
		b, err := os.ReadFile(filepath.Join(root, "composer.json"))
		if err != nil {
			return err
		}
		if want := fmt.Sprintf(`"magento/data-migration-tool": "%s"`, version); !strings.Contains(string(b), want) {
			return fmt.Errorf("composer.json does not contain %s:\n%s", want, b)
		}
		return nil
	}
}

// A root at a path with spaces, %, #, ? and non-ASCII survives id -> terraform import ->
// magento_root: the ID is a URL, percent-encoded.
func TestAccDataMigrationTool_importOddRoot(t *testing.T) {
	r := newRig(t)
	root := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "shop 100% #1?", "bücher"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	config := r.plainConfig(root)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{expect("magento_root", knownvalue.StringExact(root))}},
			{
				Config: config, ResourceName: shop, ImportState: true,
				ImportStateIdFunc: func(s *terraformState) (string, error) {
					return s.RootModule().Resources[shop].Primary.Attributes["id"], nil
				},
				ImportStateVerify: true, ImportStateVerifyIgnore: []string{"last_backup"},
			},
		},
	})
}
