package magento

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A PHP that prints a startup warning on stdout (display_errors on for the CLI, a
// duplicated extension ini) does not confuse the section check: the tool stays in
// require-dev (a non-interactive require without --dev would move it to require, and
// the next composer install --no-dev would put it in production).
func TestPHPWarningKeepsTheToolInRequireDev(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3"})
	cmd := exec.Command("composer", "require", "--dev", "magento/data-migration-tool:2.4.6", "--no-interaction", "--quiet")
	cmd.Dir, cmd.Env = root, append(os.Environ(), sharedRepo(t).ComposerEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	e.PHP = fakeComposer(t, `exec php -d display_startup_errors=1 -d display_errors=1 -d extension=ctype "$@"`)
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err != nil || res.Installed != "2.4.7" {
		t.Fatalf("want the upgrade: %+v, %v", res, err)
	}
	b, err := os.ReadFile(filepath.Join(root, "composer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Require    map[string]string `json:"require"`
		RequireDev map[string]string `json:"require-dev"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.RequireDev[Package] != "2.4.7" || doc.Require[Package] != "" {
		t.Fatalf("the tool left require-dev: require %q, require-dev %q", doc.Require[Package], doc.RequireDev[Package])
	}
}
