package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
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
	return r.providerConfig() + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
}
`, root)
}

// requireProvider names the provider's source, which a module outside the hashicorp
// namespace needs (dev_overrides serve it from the test's build).
const requireProvider = `
terraform {
  required_providers {
    magento = { source = "magento-ops/magento" }
  }
}
`

// hclList is items as an HCL list of strings.
func hclList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
