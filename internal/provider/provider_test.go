package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

var testAccProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"magento": providerserver.NewProtocol6WithError(New("test")()),
}

// TestMain removes the offline Composer repository that the tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveSharedRepo()
	os.Exit(code)
}

// rig is one real sshd plus the shared offline Composer repository.
type rig struct {
	sshd *testenv.SSHD
	repo *testenv.Repo
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc)")
	}
	return &rig{sshd: testenv.StartSSHD(t, testenv.SSHDOptions{}), repo: testenv.SharedRepo(t)}
}

// root installs a Magento root for this test.
func (r *rig) root(t *testing.T, spec testenv.RootSpec) string {
	t.Helper()
	return r.repo.NewRoot(t, filepath.Join(t.TempDir(), "magento"), spec)
}

// providerConfig is the provider block that reaches the rig's sshd.
func (r *rig) providerConfig() string {
	return fmt.Sprintf(`
provider "magento" {
  ssh = {
    user             = "root"
    port             = %d
    private_key_file = %q
    known_hosts_file = %q
    agent            = false
  }
}
`, r.sshd.Port, r.sshd.ClientKey, r.sshd.KnownHosts)
}
