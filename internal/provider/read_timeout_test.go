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

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A root whose composer.lock never answers (a hung NFS mount; here a FIFO nobody
// writes) cannot hang a plan: the data source's read times out, and no process of it
// is left on the host.
func TestAccInstallation_readTimesOut(t *testing.T) {
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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: regexp.MustCompile(`Operation Timed Out`),
		}},
	})
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
