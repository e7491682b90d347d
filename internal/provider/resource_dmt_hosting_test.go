package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
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

// sections says where composer.json requires the tool and composer.lock locks it.
func sections(root string) (required, locked string, err error) {
	var manifest map[string]map[string]any
	var lock map[string]any
	for file, v := range map[string]any{"composer.json": &manifest, "composer.lock": &lock} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			return "", "", err
		}
		_ = json.Unmarshal(b, v) // composer.json's other keys are not objects of strings
	}
	for _, s := range []string{"require", "require-dev"} {
		if v, ok := manifest[s]["magento/data-migration-tool"]; ok {
			required += fmt.Sprintf("%s=%v ", s, v)
		}
	}
	for _, s := range []string{"packages", "packages-dev"} {
		list, _ := lock[s].([]any)
		for _, p := range list {
			if m, _ := p.(map[string]any); m["name"] == "magento/data-migration-tool" {
				locked += s + " "
			}
		}
	}
	return strings.TrimSpace(required), strings.TrimSpace(locked), nil
}

// inSections checks where composer.json requires the tool and composer.lock locks it.
func inSections(root, required, locked string) resource.TestCheckFunc {
	return func(*terraformState) error {
		r, l, err := sections(root)
		if err != nil || r != required || l != locked {
			return fmt.Errorf("composer.json has the tool in %q and composer.lock in %q (%v); want %q and %q", r, l, err, required, locked)
		}
		return nil
	}
}

// Shops that keep the tool in require-dev (only needed while migrating) keep it there:
// Composer's non-interactive require would move it to require, and the next production
// `composer install --no-dev` would install it. Destroy removes it from require-dev.
func TestAccDataMigrationTool_requireDevStaysDev(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3"})
	r.composer(t, root, "require", "--dev", "magento/data-migration-tool:2.4.6")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            r.dmtConfig(root, ""),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
				Check:             inSections(root, "require-dev=2.4.7", "packages-dev"),
			},
			{
				Config:           r.dmtConfig(root, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
		CheckDestroy: func(*terraformState) error {
			if req, locked, err := sections(root); err != nil || req != "" || locked != "" {
				return fmt.Errorf("after destroy composer.json still has the tool in %q and the lock in %q (%v)", req, locked, err)
			}
			return nil
		},
	})
}

// A Plesk-like host: the OS PHP first on PATH is old (it answers -v and fails at
// anything else), the shop's PHP lives elsewhere, and Composer is a composer.phar with
// an env shebang. With php set, Composer runs under it for the plan's release listing,
// the upgrade, and the data source's composer_version.
func TestAccDataMigrationTool_composerRunsUnderTheShopsPHP(t *testing.T) {
	realPHP, err := exec.LookPath("php")
	if err != nil {
		t.Fatal(err)
	}
	if realPHP, err = filepath.EvalSymlinks(realPHP); err != nil {
		t.Fatal(err)
	}
	shims, bin := t.TempDir(), t.TempDir()
	oldPHP := "#!/bin/sh\nif [ \"$1\" = -v ]; then echo 'PHP 7.4.33 (cli) (built: Nov  2 2022 16:00:00) ( NTS )'; exit 0; fi\necho \"PHP 7.4 cannot run $*\" >&2\nexit 255\n"
	if err := os.WriteFile(filepath.Join(shims, "php"), []byte(oldPHP), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	// composer.phar as downloaded: `#!/usr/bin/env php` (here Debian's composer, its
	// autoloader found by absolute path).
	src, err := os.ReadFile("/usr/bin/composer")
	if err != nil {
		t.Skip("Debian's composer is not at /usr/bin/composer")
	}
	phar := strings.Replace(strings.Replace(string(src), "#!/usr/bin/php", "#!/usr/bin/env php", 1),
		"__DIR__ . '/../share/php/Composer/autoload.php'", "'/usr/share/php/Composer/autoload.php'", 1)
	composer := filepath.Join(bin, "composer.phar")
	if err := os.WriteFile(composer, []byte(phar), 0o755); err != nil { //nolint:gosec // an executable
		t.Fatal(err)
	}
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{"SetEnv PATH=" + shims + ":/usr/local/bin:/usr/bin:/bin"}})
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	settings := fmt.Sprintf("  php          = %q\n  composer     = %q\n", realPHP, composer)
	config := r.dmtConfig(root, settings) + fmt.Sprintf(`
data "magento_installation" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
%s
  depends_on   = [magento_data_migration_tool.shop]
}
`, root, settings)
	accTest(t, []resource.TestStep{{
		Config: config,
		ConfigStateChecks: []statecheck.StateCheck{
			expect("version", knownvalue.StringExact("2.4.7")),
			statecheck.ExpectKnownValue("data.magento_installation.shop", tfjsonpath.New("php_version"), knownvalue.StringRegexp(regexp.MustCompile(`^8\.`))),
			statecheck.ExpectKnownValue("data.magento_installation.shop", tfjsonpath.New("composer_version"), knownvalue.StringRegexp(regexp.MustCompile(`^2\.`))),
		},
		Check: requires(root, "2.4.7"),
	}})
}

// Deployer and Capistrano: magento_root is the `current` symlink to releases/N, with
// var/ a link into shared/. After a deploy switches `current`, the next plan reads the
// new release (drift when its tool lags) and the apply upgrades that release only.
func TestAccDataMigrationTool_deployerUpgradesTheReleaseCurrentPointsAt(t *testing.T) {
	r := newRig(t)
	base := t.TempDir()
	shared := filepath.Join(base, "shared/var")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	release := func(n int, magento, dmt string) string {
		dir := r.repo.NewRoot(t, filepath.Join(base, fmt.Sprintf("releases/%d", n)), testenv.RootSpec{Magento: magento, DMT: dmt})
		if err := os.Symlink("../../shared/var", filepath.Join(dir, "var")); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	current := filepath.Join(base, "current")
	deploy := func(dir string) {
		next := current + ".next"
		if err := os.Symlink(dir, next); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(next, current); err != nil { // atomic, as Deployer does
			t.Fatal(err)
		}
	}
	first := release(1, "2.4.7-p3", "2.4.6")
	deploy(first)
	var second string
	var firstAfter snapshot
	accTest(t, []resource.TestStep{
		{
			Config: r.dmtConfig(current, ""),
			Check:  requires(first, "2.4.7"),
		},
		{
			PreConfig: func() {
				firstAfter = snapshotOf(t, first)
				second = release(2, "2.4.8", "2.4.7")
				deploy(second)
			},
			Config: r.dmtConfig(current, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.8.1")),
			}},
			Check: func(s *terraformState) error {
				if err := requires(second, "2.4.8.1")(s); err != nil {
					return err
				}
				if err := firstAfter.unchanged(s); err != nil {
					return fmt.Errorf("the old release was changed: %w", err)
				}
				// One state directory for the configured root: both releases' archives.
				state := magento.StateDir(magento.RootStateBase, current)
				t.Cleanup(func() { _ = os.RemoveAll(state) })
				archives, _ := filepath.Glob(filepath.Join(state, "tf-magento-dmt-*.tar.gz"))
				if len(archives) != 2 {
					return fmt.Errorf("want both archives in the root's private state directory, got %v", archives)
				}
				return nil
			},
		},
	})
}

// An Alpine-like host: every command runs in BusyBox's sh, with BusyBox's grep, awk, tr
// and tar first on PATH. Reads give the same answers as on a GNU host, and an upgrade
// works there too.
func TestAccDataMigrationTool_busyBoxHostReadsAndUpgrades(t *testing.T) {
	bb := testenv.BusyBox(t)
	sessions := filepath.Join(t.TempDir(), "sessions") // one line per command BusyBox's sh ran
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{
		fmt.Sprintf("SetEnv PATH=%s:/usr/local/bin:/usr/bin:/bin", bb),
		fmt.Sprintf(`ForceCommand echo busybox >> %s; exec %s -c "$SSH_ORIGINAL_COMMAND"`, sessions, filepath.Join(bb, "sh")),
	}})
	commerce := r.root(t, testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8.1"})
	drifted := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	config := r.dmtConfig(drifted, "") + installationHCL("commerce", "127.0.0.1", commerce)
	accTest(t, []resource.TestStep{{
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
	}})
}
