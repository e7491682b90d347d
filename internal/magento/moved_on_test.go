package magento

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Moved_on.php approves (prints nothing) although the root moved on after the
// interrupted apply: (a) the operator updated a package the real tool requires
// (symfony/console, magento/framework, monolog/monolog: skipped wholesale), (b) a
// package on a branch got new code (same "version", new reference).
func TestMovedOnSeesLaterWork(t *testing.T) {
	lock := func(monolog, ref string) string {
		return `{"content-hash":"x","packages":[
 {"name":"magento/product-community-edition","version":"2.4.8"},
 {"name":"magento/data-migration-tool","version":"2.4.8","require":{"symfony/console":"^6.4","magento/framework":"*","monolog/monolog":"^3.6"}},
 {"name":"monolog/monolog","version":"` + monolog + `"},
 {"name":"acme/module-checkout","version":"dev-main","source":{"type":"git","reference":"` + ref + `"},"dist":{"reference":"` + ref + `"}}
],"packages-dev":[],"platform":{}}`
	}
	json := `{"require":{"magento/product-community-edition":"2.4.8","magento/data-migration-tool":"2.4.8","acme/module-checkout":"dev-main"}}`
	for name, now := range map[string]string{
		"monolog 3.6.0 -> 3.9.0 by composer update monolog/monolog": lock("3.9.0", "aaaa"),
		"acme/module-checkout dev-main aaaa -> bbbb":                lock("3.6.0", "bbbb"),
	} {
		t.Run(name, func(t *testing.T) {
			archived, root := t.TempDir(), t.TempDir()
			for dir, l := range map[string]string{archived: lock("3.6.0", "aaaa"), root: now} {
				_ = os.WriteFile(filepath.Join(dir, "composer.json"), []byte(json), 0o644)
				_ = os.WriteFile(filepath.Join(dir, "composer.lock"), []byte(l), 0o644)
			}
			out, err := exec.Command("php", "-r", movedOnPHP, archived, root, Package).CombinedOutput()
			if err != nil {
				t.Fatalf("%v %s", err, out)
			}
			if len(out) == 0 {
				t.Errorf("moved_on reports no difference, so the owed restore puts the old composer.lock and vendor/composer back over the later work")
			}
		})
	}
}
