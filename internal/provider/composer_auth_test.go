package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A Composer repository that refuses the credentials (as repo.magento.com does with
// wrong keys) gets the credential hint, naming that repository; the files stay as
// they were.
func TestAccDataMigrationTool_composerAuthRefused(t *testing.T) {
	r := newRig(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Magento repository"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	}))
	t.Cleanup(refusing.Close)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	addRepository(t, root, refusing.URL)
	before := testenv.Digest(t, root, guardedPaths...)

	// Composer keys credentials by host and port: these reach the server, which refuses them.
	auth := fmt.Sprintf(`{"http-basic":{%q:{"username":"public-key","password":"wrong-private-key"}}}`, strings.TrimPrefix(refusing.URL, "http://"))
	provider := strings.TrimSuffix(r.sshd.ProviderHCL(), "}\n") + fmt.Sprintf("  composer_auth = %q\n}\n", auth)
	config := provider + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  composer_env = %s
}
`, root, r.composerEnvHCL())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: regexp.MustCompile(`The Composer repository 127\.0\.0\.1 refused the\s+credentials(.|\n)*set\s+composer_auth`),
		}},
	})
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Errorf("%s is not byte for byte as before:\n%s", root, diff)
	}
}

// addRepository puts a Composer repository at url first in root's composer.json, over
// plain HTTP (the test server's).
func addRepository(t *testing.T, root, url string) {
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
	repos, _ := manifest["repositories"].([]any)
	manifest["repositories"] = append([]any{map[string]any{"type": "composer", "url": url}}, repos...)
	cfg, _ := manifest["config"].(map[string]any)
	cfg["secure-http"] = false
	manifest["config"] = cfg
	if b, err = json.MarshalIndent(manifest, "", "    "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil { //nolint:gosec // a shop's composer.json is world-readable
		t.Fatal(err)
	}
}
