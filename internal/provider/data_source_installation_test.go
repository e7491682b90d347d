package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// installationConfig is the provider block plus data.magento_installation.shop for root.
func installationConfig(r *rig, root string) string {
	return r.providerConfig() + installationHCL("shop", "127.0.0.1", root)
}

// checkInstallation checks attributes of data.magento_installation.shop.
func checkInstallation(values map[string]knownvalue.Check) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for attr, check := range values {
		checks = append(checks, statecheck.ExpectKnownValue("data.magento_installation.shop", tfjsonpath.New(attr), check))
	}
	return checks
}

// The data source reports Magento's version and edition, the installed tool's, PHP's
// and Composer's, with the connection's id.
func TestAccInstallation_reportsEveryVersionOfTheShop(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	accTest(t, []resource.TestStep{{
		Config: installationConfig(r, root),
		ConfigStateChecks: checkInstallation(map[string]knownvalue.Check{
			"magento_version":             knownvalue.StringExact("2.4.7-p3"),
			"magento_edition":             knownvalue.StringExact("community"),
			"data_migration_tool_version": knownvalue.StringExact("2.4.6"),
			"php_version":                 knownvalue.StringRegexp(regexp.MustCompile(`^[78]\.\d+\.\d+`)),
			"composer_version":            knownvalue.StringRegexp(regexp.MustCompile(`^2\.\d+\.\d+`)),
			"id":                          knownvalue.StringExact(fmt.Sprintf("ssh://root@127.0.0.1:%d%s", r.sshd.Port, root)),
		}),
	}})
}

// Magento's version and edition as Magento reports them, for the roots real shops have:
// an Adobe Commerce lock holds the community product too (the enterprise product
// requires it), and a Commerce Cloud root requires only the cloud metapackage.
func TestAccEditions_asMagentoReportsThem(t *testing.T) {
	r := newRig(t)
	shops := []struct {
		name             string
		spec             testenv.RootSpec
		version, edition string
	}{
		{"community", testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"}, "2.4.7-p3", "community"},
		{"commerce", testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8.1"}, "2.4.8", "enterprise"},
		{"cloud", testenv.RootSpec{Edition: "enterprise", Magento: "2.4.7-p3", DMT: "2.4.7", Cloud: true}, "2.4.7-p3", "enterprise"},
	}
	config := r.providerConfig()
	var checks []statecheck.StateCheck
	for _, shop := range shops {
		root := r.root(t, shop.spec)
		config += installationHCL(shop.name, "127.0.0.1", root) +
			dmtHCL(shop.name, "127.0.0.1", root, expr("composer_env", r.composerEnvHCL()))
		for _, address := range []string{"data.magento_installation." + shop.name, "magento_data_migration_tool." + shop.name} {
			checks = append(checks,
				statecheck.ExpectKnownValue(address, tfjsonpath.New("magento_version"), knownvalue.StringExact(shop.version)),
				statecheck.ExpectKnownValue(address, tfjsonpath.New("magento_edition"), knownvalue.StringExact(shop.edition)))
		}
	}
	accTest(t, []resource.TestStep{{Config: config, ConfigStateChecks: checks}})
}

// A root without the tool reads as Magento's version with a null tool version.
func TestAccInstallation_toolNotInstalledIsNull(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3"})
	accTest(t, []resource.TestStep{{
		Config: installationConfig(r, root),
		ConfigStateChecks: checkInstallation(map[string]knownvalue.Check{
			"magento_version":             knownvalue.StringExact("2.4.7-p3"),
			"data_migration_tool_version": knownvalue.Null(),
		}),
	}})
}

// A Composer project that is not Magento, a missing directory and a relative path are
// each refused with their own error.
func TestAccInstallation_refusesWhatIsNotAMagentoRoot(t *testing.T) {
	r := newRig(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "composer.json"), []byte(`{"name": "acme/blog"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	accTest(t, []resource.TestStep{
		{Config: installationConfig(r, dir), ExpectError: regexp.MustCompile(`Not a Magento Installation(.|\n)*is\s+not\s+a\s+Magento\s+2\s+installation`)},
		{Config: installationConfig(r, "/nonexistent/magento"), ExpectError: regexp.MustCompile(`Magento Root Not Found`)},
		{Config: installationConfig(r, "var/www/magento"), ExpectError: regexp.MustCompile(`Relative Path`)},
	})
}

// A host key other than the one known_hosts records is refused, showing the key's type
// and fingerprint.
func TestAccInstallation_refusesAHostKeyThatDoesNotMatch(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3"})
	// known_hosts records another key for this host:port.
	if err := os.WriteFile(r.sshd.KnownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s\n", r.sshd.Port, r.sshd.OtherHostKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	accTest(t, []resource.TestStep{{
		Config:      installationConfig(r, root),
		ExpectError: regexp.MustCompile(`Untrusted SSH Host Key(.|\n)*does\s+not\s+match(.|\n)*ssh-ed25519(.|\n)*SHA256:`),
	}})
}

// A root whose composer.lock never answers (a hung NFS mount; here a FIFO nobody
// writes) cannot hang a plan: the data source's read times out, and no process of it
// is left on the host.
func TestAccInstallation_hungReadTimesOutAndLeavesNoProcess(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	lock := filepath.Join(root, "composer.lock")
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(lock, 0o644); err != nil {
		t.Fatal(err)
	}
	config := r.providerConfig() + fmt.Sprintf(`
data "magento_installation" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  timeouts {
    read = "3s"
  }
}
`, root)
	accTest(t, []resource.TestStep{{
		Config:      config,
		ExpectError: regexp.MustCompile(`Operation Timed Out`),
	}})
	// The reader is stopped from a session of its own, moments after the timeout.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command("pgrep", "-af", regexp.QuoteMeta(lock)).Output()
		if err != nil { // pgrep found nothing
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read is still running on the host:\n%s", out)
		}
	}
}
