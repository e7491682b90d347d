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

// noBackups fails when the apply made root's private state directory: it did more
// than adopt the install.
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

// A create over an install in sync adopts it without running Composer; a tool
// downgraded by hand is drift, which the plan shows with the exact release and the
// apply repairs through composer require; a change of settings only is an update that
// runs nothing on the host.
func TestAccDataMigrationTool_adoptsAnInstallInSyncAndRepairsDrift(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	spy, calls := composerSpy(t)
	config := r.dmtConfig(root, fmt.Sprintf("  composer = %q", spy))
	accTest(t, []resource.TestStep{
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
	})
}

// Destroy backs the root up, then removes the tool and its requirement.
func TestAccDataMigrationTool_destroyBacksUpThenRemovesTheTool(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps:                    []resource.TestStep{{Config: r.dmtConfig(root, "")}},
		CheckDestroy: func(*terraformState) error {
			if _, err := os.Stat(filepath.Join(root, "vendor/magento/data-migration-tool")); !os.IsNotExist(err) {
				return fmt.Errorf("destroy left the tool installed")
			}
			archives, _ := filepath.Glob(filepath.Join(magento.StateDir(magento.RootStateBase, root), magento.ArchivePrefix+"*.tar.gz"))
			if len(archives) != 1 {
				return fmt.Errorf("destroy must back up first; archives: %v", archives)
			}
			return requiresNot(root)
		},
	})
}

// With remove_on_destroy = false, destroy forgets the resource and leaves the host.
func TestAccDataMigrationTool_destroyWithoutRemoveOnDestroyLeavesTheHost(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	before := snapshotOf(t, root)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps:                    []resource.TestStep{{Config: r.dmtConfig(root, "  remove_on_destroy = false")}},
		CheckDestroy:             before.unchanged,
	})
}

// Shell syntax in magento_root, composer_env and preserve_paths reaches the host as
// data: quoting carries it through every command, and nothing in it runs.
func TestAccDataMigrationTool_valuesAreNeverRunByAShell(t *testing.T) {
	r := newRig(t)
	base := t.TempDir()
	marker := func(n int) string { return filepath.Join(base, fmt.Sprintf("pwned%d", n)) }
	evil := fmt.Sprintf("'; touch %s; '$(touch %s)`touch %s`", marker(1), marker(2), marker(3))
	// A real root whose path holds the payload: quoting must carry it through every command.
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	evilRoot := filepath.Join(base, "shop"+evil)
	if err := os.MkdirAll(filepath.Dir(evilRoot), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(root, evilRoot); err != nil {
		t.Fatal(err)
	}
	config := r.dmtConfig(evilRoot, fmt.Sprintf(`  composer_env = { EVIL = %q }
  preserve_paths = [%q]`, evil, "etc/"+strings.ReplaceAll(evil, "/", "_")))
	// dmtConfig already sets composer_env, and a second one would be a duplicate
	// argument: merge the payload into it.
	config = strings.Replace(config, "  composer_env = {", "  composer_env = merge({", 1)
	config = strings.Replace(config, "\n  }\n  composer_env = { EVIL", "\n  }, { EVIL", 1)
	config = strings.Replace(config, fmt.Sprintf("%q }\n", evil), fmt.Sprintf("%q })\n", evil), 1)
	accTest(t, []resource.TestStep{
		{
			Config:      r.dmtConfig(fmt.Sprintf("/nonexistent'; touch %s; '$(touch %s)", marker(4), marker(5)), ""),
			ExpectError: regexp.MustCompile(`Magento Root Not Found`),
		},
		{
			Config:            config,
			ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
		},
	})
	for n := 1; n <= 5; n++ {
		if _, err := os.Stat(marker(n)); err == nil {
			t.Errorf("a value was executed by a shell: %s exists", marker(n))
		}
	}
}
