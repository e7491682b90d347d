package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A plan saved by one CI job and applied by another on another machine (no release
// cache there), after upstream published a release in between. An update applies what
// the plan showed, from the list the plan's listing kept on the host. A create reuses
// only a list of its own Terraform run: its saved plan stops before anything runs on
// the host, and a new plan applies.
func TestAccDataMigrationTool_savedPlanNeverAppliesAnotherReleaseThanItShowed(t *testing.T) {
	r := newRig(t)
	repo := testenv.NewRepo(t) // this test publishes releases: not in the shared repository
	updated := repo.NewRoot(t, filepath.Join(t.TempDir(), "updated"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	created := repo.NewRoot(t, filepath.Join(t.TempDir(), "created"), testenv.RootSpec{Magento: "2.4.7-p3"})
	shopHCL := func(name, root string) string {
		return fmt.Sprintf("\nresource \"magento_data_migration_tool\" %q {\n  host         = \"127.0.0.1\"\n  magento_root = %q\n  composer_env = %s\n}\n",
			name, root, repo.ComposerEnvHCL())
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the planning machine's cache
	w := newCLIWorkspace(t, map[string]string{"main.tf": requireProvider + r.providerConfig() + shopHCL("updated", updated)})
	w.must("apply", "-auto-approve", "-no-color") // adopts: in sync
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	other := func() { w.env = append(w.env, "XDG_CACHE_HOME="+t.TempDir()) } // the applying machine

	// Update: the tool fell behind; the plan resolves 2.4.7, then 2.4.7.1 is published.
	r.composer(t, updated, "require", "magento/data-migration-tool:2.4.6")
	if out := flat(w.must("plan", "-no-color", "-out=tfplan")); !strings.Contains(out, `~ version = "2.4.6" -> "2.4.7"`) {
		t.Fatalf("the plan does not install 2.4.7:\n%s", out)
	}
	repo.AddRelease(t, "2.4.7.1")
	other()
	w.must("apply", "-no-color", "tfplan")
	if err := requires(updated, "2.4.7")(nil); err != nil {
		t.Fatalf("the saved plan's apply did not install the planned release: %v", err)
	}

	// Create: the plan resolves 2.4.7.1, then 2.4.7.2 is published.
	w.write("main.tf", requireProvider+r.providerConfig()+shopHCL("updated", updated)+shopHCL("created", created))
	if out := flat(w.must("plan", "-no-color", "-out=tfplan")); !strings.Contains(out, `+ version = "2.4.7.1"`) {
		t.Fatalf("the plan does not create with 2.4.7.1:\n%s", out)
	}
	repo.AddRelease(t, "2.4.7.2")
	before := snapshotOf(t, created)
	other()
	if out, err := w.run("apply", "-no-color", "tfplan"); err == nil || !strings.Contains(flat(out), `.version: was cty.StringVal("2.4.7.1"), but now cty.StringVal("2.4.7.2")`) {
		t.Fatalf("a saved create whose release was overtaken must stop (run terraform plan again): %v\n%s", err, out)
	}
	before.expectUnchanged()
	w.must("plan", "-no-color", "-out=tfplan")
	w.must("apply", "-no-color", "tfplan")
	if err := requires(created, "2.4.7.2")(nil); err != nil {
		t.Fatal(err)
	}
}

// A shop with its own credentials (composer_auth_wo, which Read never has) planned on
// one machine and applied from a second working directory on another (no release
// cache), after upstream published a release: the apply installs what the plan showed,
// from the list the plan's listing kept on the host, and lists nothing.
func TestAccDataMigrationTool_savedPlanWithOwnCredentialsAppliesWhatItShowed(t *testing.T) {
	skipCLIBelow(t, tfversion.SkipBelow(tfversion.Version1_11_0))
	r := newRig(t)
	repo := testenv.NewRepo(t) // this test publishes releases: not in the shared repository
	root := repo.NewRoot(t, filepath.Join(t.TempDir(), "shop"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	spy := newComposerLog(t)
	config := requireProvider + r.providerConfig() + `
variable "shop_auth" {
  type      = string
  sensitive = true
  ephemeral = true
}
` + dmtHCL("shop", "127.0.0.1", root, str("composer", spy.command), expr("composer_env", repo.ComposerEnvHCL()),
		expr("composer_auth_wo", "var.shop_auth"), expr("composer_auth_wo_version", "1"))
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.env = append(w.env, "XDG_CACHE_HOME="+t.TempDir(), "TF_VAR_shop_auth="+composerAuthFor("shop", "s"))
	w.must("apply", "-auto-approve", "-no-color") // adopts: in sync
	r.composer(t, root, "require", "magento/data-migration-tool:2.4.6")
	if out := strings.Join(strings.Fields(w.must("plan", "-no-color", "-out=tfplan")), " "); !strings.Contains(out, `~ version = "2.4.6" -> "2.4.7"`) {
		t.Fatalf("the plan does not install 2.4.7:\n%s", out)
	}
	repo.AddRelease(t, "2.4.7.1")
	spy.calls()

	// The second machine: the configuration, the state and the saved plan, nothing else.
	second := &cliWorkspace{t: t, dir: t.TempDir(), env: append(slices.Clone(w.env), "XDG_CACHE_HOME="+t.TempDir())}
	for _, name := range []string{"main.tf", "terraform.tfstate", "tfplan"} {
		b, err := os.ReadFile(filepath.Join(w.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(second.dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	second.must("apply", "-no-color", "tfplan")
	if err := requires(root, "2.4.7")(nil); err != nil {
		t.Fatalf("the saved plan's apply did not install the planned release: %v", err)
	}
	if calls := spy.calls(); count(calls, "show") != 0 || count(calls, "require") != 1 {
		t.Errorf("the apply ran %v, want one require and no listing", calls)
	}
}

// A saved plan applied after the host changed is refused before Composer runs, with
// an error that says what changed; never "inconsistent result" after Composer ran.
// Driven through the CLI: plugin-testing cannot change the world between a saved plan
// and its apply.
func TestAccDataMigrationTool_stalePlanIsRefusedBeforeComposerRuns(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	config := requireProvider + r.dmtConfig(root, "")
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.must("apply", "-auto-approve", "-no-color")

	for _, tc := range []struct {
		name      string
		afterPlan []string // composer arguments run out of band between plan and apply
		want      string
	}{
		{"Magento upgraded", []string{"require", "magento/product-community-edition:2.4.8", "magento/data-migration-tool:2.4.6", "-W"}, "Magento's version changed since the plan was made: the plan expected 2.4.7-p3, the host now has 2.4.8"},
		{"tool changed", []string{"require", "magento/data-migration-tool:2.4.6.1"}, "The installed Data Migration Tool changed since the plan was made: the plan expected 2.4.6, the host now has 2.4.6.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.composer(t, root, "require", "magento/product-community-edition:2.4.7-p3", "magento/data-migration-tool:2.4.6", "-W")
			w.must("plan", "-no-color", "-out=tfplan") // drift: 2.4.6 -> 2.4.7
			r.composer(t, root, tc.afterPlan...)
			before := snapshotOf(t, root)
			out, err := w.run("apply", "-no-color", "tfplan")
			flat := strings.Join(strings.Fields(out), " ")
			if err == nil || !strings.Contains(flat, "Host Changed Since the Plan") || !strings.Contains(flat, tc.want) || !strings.Contains(flat, "run terraform plan again") {
				t.Fatalf("want the saved plan refused with %q, got %v:\n%s", tc.want, err, out)
			}
			if strings.Contains(out, "inconsistent result") {
				t.Fatalf("the apply ran before it refused:\n%s", out)
			}
			before.expectUnchanged()
			_ = os.Remove(filepath.Join(w.dir, "tfplan"))
		})
	}
}
