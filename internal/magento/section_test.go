package magento

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// The section check fails open. A PHP that prints a startup warning on stdout
// (display_errors on for the CLI, a duplicated extension ini) makes section.php's answer
// start with the warning, the case matches nothing, and `composer require` runs without
// --dev: the tool moves from require-dev to require (the next `composer install --no-dev`
// installs it in production), with no warning.
func TestSectionCheckThatCannotRunRefusesTheApply(t *testing.T) {
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
	b, _ := os.ReadFile(filepath.Join(root, "composer.json"))
	t.Logf("res %+v err %v\ncomposer.json: %s", res, err, b)
	if err == nil && !strings.Contains(string(b), `"require-dev": {`+"\n"+`        "magento/data-migration-tool"`) && strings.Contains(string(b), `"magento/data-migration-tool": "2.4.7"`) {
		t.Errorf("the tool was moved out of require-dev, silently (warnings: %q)", res.Warnings)
	}
}
