package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// testAccProviders gives every Terraform command a fresh provider (and pool), as a
// real provider process would be.
var testAccProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"magento": func() (tfprotov6.ProviderServer, error) {
		return providerserver.NewProtocol6(New("test")())(), nil
	},
}

// TestMain removes the offline Composer repository and the provider build that the
// tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveSharedRepo()
	removeBuiltProvider()
	os.Exit(code)
}

// accTest runs steps with testAccProviders.
func accTest(t *testing.T, steps []resource.TestStep) {
	t.Helper()
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProviders, Steps: steps})
}

// rig is one real sshd plus the shared offline Composer repository.
type rig struct {
	sshd *testenv.SSHD
	repo *testenv.Repo
}

func newRig(t *testing.T) *rig { return newRigWith(t, testenv.SSHDOptions{}) }

// newRigWith starts the rig's sshd with opts.
func newRigWith(t *testing.T, opts testenv.SSHDOptions) *rig {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc)")
	}
	return &rig{sshd: testenv.StartSSHD(t, opts), repo: testenv.SharedRepo(t)}
}

// rigWithShim starts a rig whose host runs command through a shim first on PATH: the
// line guard(realPath) (sh that may fail, delay or prepare the call), then the real command.
func rigWithShim(t *testing.T, command string, guard func(realPath string) string) *rig {
	t.Helper()
	realPath, err := exec.LookPath(command)
	if err != nil {
		t.Fatal(err)
	}
	shims := t.TempDir()
	shim := "#!/bin/sh\n" + guard(realPath) + "\nexec " + realPath + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shims, command), []byte(shim), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	return newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{"SetEnv PATH=" + shims + ":/usr/local/bin:/usr/bin:/bin"}})
}

// editComposerJSON rewrites root's composer.json through edit, as an operator would.
func editComposerJSON(t *testing.T, root string, edit func(manifest map[string]any)) {
	t.Helper()
	path := filepath.Join(root, "composer.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	edit(manifest)
	out, err := json.MarshalIndent(manifest, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil { //nolint:gosec // a shop's composer.json is world-readable
		t.Fatal(err)
	}
}

// root installs a Magento root for this test.
func (r *rig) root(t *testing.T, spec testenv.RootSpec) string {
	t.Helper()
	root := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "magento"), spec)
	// The rig logs in as root: the apply keeps this root's private state there.
	t.Cleanup(func() { _ = os.RemoveAll(magento.StateDir(magento.RootStateBase, root)) })
	return root
}

// providerConfig is the provider block that reaches the rig's sshd.
func (r *rig) providerConfig() string { return "\n" + r.sshd.ProviderHCL() }

// composer runs composer in root as an operator would, out of band.
func (r *rig) composer(t *testing.T, root string, args ...string) {
	t.Helper()
	cmd := exec.Command("composer", append(args, "--no-interaction", "--quiet")...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), r.repo.ComposerEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("composer %v: %v\n%s", args, err, out)
	}
}

// composerEnvHCL is composer_env that keeps Composer offline on the rig.
func (r *rig) composerEnvHCL() string { return r.repo.ComposerEnvHCL() }

// dmtConfig is the provider block plus a magento_data_migration_tool.shop for root;
// extra holds more arguments.
func (r *rig) dmtConfig(root, extra string) string {
	return r.providerConfig() + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  composer_env = %s
%s
}
`, root, r.composerEnvHCL(), extra)
}

// terraformState is the legacy state TestCheckFunc receives; the checks here read the host.
type terraformState = terraform.State

// shop is the address of dmtConfig's resource.
const shop = "magento_data_migration_tool.shop"

// expect checks an attribute of shop in state.
func expect(attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(shop, tfjsonpath.New(attr), check)
}

// plainConfig is a resource with only host and magento_root, as an import leaves it.
func (r *rig) plainConfig(root string) string {
	return r.providerConfig() + dmtHCL("shop", "127.0.0.1", root)
}
