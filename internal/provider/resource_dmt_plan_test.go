package provider

import (
	"regexp"

	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// composerCalls is the Composer command (require, show, ...) of each logged call.
func composerCalls(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			commands = append(commands, f[0])
		}
	}
	return commands
}

// The plan shows the exact release (the newest hotfix for Magento 2.4.8, resolved once
// and only for the drifted root); a saved plan's apply installs it with exactly one
// Composer run, require.
func TestAccDataMigrationTool_planResolvesTheRelease(t *testing.T) {
	r := newRig(t)
	spy, calls := composerSpy(t)
	roots := []string{
		r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"}),
		r.repo.NewRoot(t, filepath.Join(t.TempDir(), "b"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"}),
	}
	config := requireProvider + r.providerConfig()
	for i, root := range roots {
		config += fmt.Sprintf("\nresource \"magento_data_migration_tool\" \"shop%d\" {\n  host         = \"127.0.0.1\"\n  magento_root = %q\n  composer     = %q\n  composer_env = %s\n}\n",
			i, root, spy, r.composerEnvHCL())
	}
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.must("apply", "-auto-approve", "-no-color") // adopt both: in sync
	w.must("plan", "-no-color")
	if got := composerCalls(t, calls); len(got) != 0 {
		t.Fatalf("plans over roots in sync ran composer: %v", got)
	}

	r.composer(t, roots[1], "require", "magento/product-community-edition:2.4.8", "-W") // Magento upgraded out of band
	out := w.must("plan", "-no-color", "-out=tfplan")
	if !strings.Contains(strings.Join(strings.Fields(out), " "), `~ version = "2.4.7" -> "2.4.8.1"`) {
		t.Fatalf("the plan does not show the exact release:\n%s", out)
	}
	if got := composerCalls(t, calls); strings.Join(got, " ") != "show" {
		t.Fatalf("the plan ran composer %v, want one listing (show) for the drifted root", got)
	}
	_ = os.Remove(calls)
	w.must("apply", "-no-color", "tfplan")
	if got := composerCalls(t, calls); strings.Join(got, " ") != "require" {
		t.Fatalf("the apply of the saved plan ran composer %v, want exactly one run: require", got)
	}
	if err := requires(roots[1], "2.4.8.1")(nil); err != nil {
		t.Fatal(err)
	}
}

// Magento 2.4.9 has no tool release: by default the plan warns and changes nothing, the
// shop converges and waits; on_missing_release = "error" fails the plan; once upstream
// publishes the release, the next plan installs it.
func TestAccDataMigrationTool_missingRelease(t *testing.T) {
	r := newRig(t)
	repo := testenv.NewRepo(t) // this test publishes a release: not in the shared repository
	root := repo.NewRoot(t, filepath.Join(t.TempDir(), "magento"), testenv.RootSpec{Magento: "2.4.9", DMT: "2.4.8.1"})
	config := func(extra string) map[string]string {
		return map[string]string{"main.tf": requireProvider + r.providerConfig() + fmt.Sprintf(
			"\nresource \"magento_data_migration_tool\" \"shop\" {\n  host         = \"127.0.0.1\"\n  magento_root = %q\n  composer_env = %s\n%s}\n",
			root, repo.ComposerEnvHCL(), extra)}
	}
	w := newCLIWorkspace(t, config(""))
	before := testenv.Digest(t, root, guardedPaths...)
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }

	out := flat(w.must("plan", "-no-color"))
	if !strings.Contains(out, "No Data Migration Tool Release Yet") || !strings.Contains(out, "Magento 2.4.9") || !strings.Contains(out, "2.4.8.1") {
		t.Fatalf("the plan does not warn about the missing release:\n%s", out)
	}
	w.must("apply", "-auto-approve", "-no-color")
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Fatalf("the apply changed the host:\n%s", diff)
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil || !strings.Contains(flat(out), "No Data Migration Tool Release Yet") {
		t.Fatalf("the shop did not converge (plan not empty, or no warning): %v\n%s", err, out)
	}

	for name, body := range config("  on_missing_release = \"error\"\n") {
		if err := os.WriteFile(filepath.Join(w.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := w.run("plan", "-no-color"); err == nil || !strings.Contains(flat(out), "no magento/data-migration-tool release exists for Magento 2.4.9") {
		t.Fatalf("on_missing_release = \"error\" must fail the plan: %v\n%s", err, out)
	}

	for name, body := range config("") {
		if err := os.WriteFile(filepath.Join(w.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	repo.AddRelease(t, "2.4.9")
	if out := w.must("plan", "-no-color"); !strings.Contains(flat(out), `~ version = "2.4.8.1" -> "2.4.9"`) {
		t.Fatalf("the plan after the release appeared does not install it:\n%s", out)
	}
}

// A pin that is not a published release fails at plan, naming the releases that exist
// for Magento's base version.
func TestAccDataMigrationTool_unpublishedPin(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      r.dmtConfig(root, `  version = "2.4.8.7"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Release Not Found.*2\.4\.8\.7\s+is\s+not\s+released;\s+releases\s+for\s+Magento\s+2\.4\.8:\s+2\.4\.8\.1,\s+2\.4\.8`),
		}},
	})
}
