package provider

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

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
func TestAccDataMigrationTool_missingReleaseWarnsUntilItIsPublished(t *testing.T) {
	r := newRig(t)
	repo := testenv.NewRepo(t) // this test publishes a release: not in the shared repository
	root := repo.NewRoot(t, filepath.Join(t.TempDir(), "magento"), testenv.RootSpec{Magento: "2.4.9", DMT: "2.4.8.1"})
	config := func(extra string) map[string]string {
		return map[string]string{"main.tf": requireProvider + r.providerConfig() + fmt.Sprintf(
			"\nresource \"magento_data_migration_tool\" \"shop\" {\n  host         = \"127.0.0.1\"\n  magento_root = %q\n  composer_env = %s\n%s}\n",
			root, repo.ComposerEnvHCL(), extra)}
	}
	w := newCLIWorkspace(t, config(""))
	before := snapshotOf(t, root)
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }

	out := flat(w.must("plan", "-no-color"))
	if !strings.Contains(out, "No Data Migration Tool Release Yet") || !strings.Contains(out, "Magento 2.4.9") || !strings.Contains(out, "2.4.8.1") {
		t.Fatalf("the plan does not warn about the missing release:\n%s", out)
	}
	w.must("apply", "-auto-approve", "-no-color")
	before.expectUnchanged()
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
func TestAccDataMigrationTool_unpublishedPinFailsAtPlan(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8"})
	accTest(t, []resource.TestStep{{
		Config:      r.dmtConfig(root, `  version = "2.4.8.7"`),
		PlanOnly:    true,
		ExpectError: regexp.MustCompile(`(?s)Release Not Found.*2\.4\.8\.7\s+is\s+not\s+released;\s+releases\s+for\s+Magento\s+2\.4\.8:\s+2\.4\.8\.1,\s+2\.4\.8`),
	}})
}

// Unpinned, the tool follows Magento: the plan of a create shows the release for
// Magento's base version, and after Magento's upgrade the newest hotfix for the new one.
func TestAccDataMigrationTool_followsMagentoToItsNewestHotfix(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	accTest(t, []resource.TestStep{
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
	})
}

// A pin installs exactly that release (2.4.6 over an installed 2.4.6.1 is drift); a
// pin for another Magento version, or one that is not a tool version, fails at plan.
func TestAccDataMigrationTool_pinIsExactAndMustMatchMagento(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.6-p4", DMT: "2.4.6"})
	accTest(t, []resource.TestStep{
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
			ExpectError: regexp.MustCompile(`Attribute\s+version\s+must\s+be\s+an\s+exact\s+Data\s+Migration\s+Tool\s+version`),
		},
		{
			// Valid again, so the post-test destroy can run; nothing changed on the host.
			Config:   r.dmtConfig(root, `  version = "2.4.6"`),
			PlanOnly: true,
		},
	})
}

// A fleet on Magento 2.4.9, for which no tool release exists yet: a tool-less root is
// created with nothing installed and stays in state while it waits, so a nightly
// `plan -detailed-exitcode` comes back clean; once the release appears, the plan shows
// both roots' updates and the apply installs it.
func TestAccDataMigrationTool_waitingForAReleaseConverges(t *testing.T) {
	r := newRig(t)
	r.repo = testenv.NewRepo(t) // this test publishes a release: not in the shared repository
	bare := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "bare"), testenv.RootSpec{Magento: "2.4.9"})
	older := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "older"), testenv.RootSpec{Magento: "2.4.9", DMT: "2.4.8.1"})
	config := requireProvider + r.providerConfig() +
		dmtHCL("bare", "127.0.0.1", bare, expr("composer_env", r.composerEnvHCL())) +
		dmtHCL("older", "127.0.0.1", older, expr("composer_env", r.composerEnvHCL()))
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.must("apply", "-auto-approve", "-no-color")
	if out, err := w.run("plan", "-detailed-exitcode", "-no-color"); err != nil {
		t.Fatalf("while waiting for the release, the plan must be clean (exit 0): %v\n%s", err, out)
	} else if !strings.Contains(out, "No Data Migration Tool Release Yet") {
		t.Fatalf("the plan must still say it waits:\n%s", out)
	}
	r.repo.AddRelease(t, "2.4.9")
	out, err := w.run("plan", "-detailed-exitcode", "-no-color")
	if err == nil || !strings.Contains(out, "2 to change") || !regexp.MustCompile(`version\s+=\s+"2\.4\.8\.1"\s+->\s+"2\.4\.9"`).MatchString(out) ||
		!regexp.MustCompile(`\+\s+version\s+=\s+"2\.4\.9"`).MatchString(out) {
		t.Fatalf("once the release appears, the plan must show both updates: %v\n%s", err, out)
	}
	w.must("apply", "-auto-approve", "-no-color")
	for _, root := range []string{bare, older} {
		if err := requires(root, "2.4.9")(nil); err != nil {
			t.Error(err)
		}
	}
	if out, err := w.run("plan", "-detailed-exitcode", "-no-color"); err != nil {
		t.Fatalf("after the apply, the plan must be clean: %v\n%s", err, out)
	}
}

// The host moved to another SSH port: the id (ssh://user@host:port/root) follows the
// connection. In the same apply as an upgrade the plan shows the new id and the apply
// records that planned id; a change of the port alone is an update that runs nothing on
// the host.
func TestAccDataMigrationTool_idFollowsTheConnection(t *testing.T) {
	second := freeTCPPort(t)
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{"Port " + strconv.Itoa(second)}})
	knownHosts, err := os.OpenFile(r.sshd.KnownHosts, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = fmt.Fprintf(knownHosts, "[127.0.0.1]:%d %s\n", second, r.sshd.HostKeyLine)
		err = errors.Join(err, knownHosts.Close())
	}
	if err != nil {
		t.Fatal(err)
	}
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	at := func(port int) string {
		return r.dmtConfig(root, fmt.Sprintf("  ssh {\n    port = %d\n  }", port))
	}
	idAt := func(port int) string { return fmt.Sprintf("ssh://root@127.0.0.1:%d%s", port, root) }
	watched := append([]string{"var"}, guardedPaths...) // var/ holds the backups
	var before snapshot
	accTest(t, []resource.TestStep{
		{Config: at(r.sshd.Port), ConfigStateChecks: []statecheck.StateCheck{expect("id", knownvalue.StringExact(idAt(r.sshd.Port)))}},
		{
			// Upgrade and move in one apply.
			PreConfig: func() { r.composer(t, root, "require", "magento/data-migration-tool:2.4.6") },
			Config:    at(second),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(shop, tfjsonpath.New("id"), knownvalue.StringExact(idAt(second))),
				plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.7")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{expect("id", knownvalue.StringExact(idAt(second))), expect("version", knownvalue.StringExact("2.4.7"))},
		},
		{
			// Back to the first port, nothing else: an update of the id only.
			PreConfig: func() { before = snapshotOf(t, root, watched...) },
			Config:    at(r.sshd.Port),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(shop, tfjsonpath.New("id"), knownvalue.StringExact(idAt(r.sshd.Port))),
			}},
			ConfigStateChecks: []statecheck.StateCheck{expect("id", knownvalue.StringExact(idAt(r.sshd.Port)))},
			Check:             func(s *terraformState) error { return before.unchanged(s) }, // before is taken in PreConfig
		},
	})
}

// freeTCPPort is a port nothing listens on at the moment.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("listening on %v", l.Addr())
	}
	return addr.Port
}
