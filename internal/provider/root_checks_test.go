package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// guardedPaths are what an apply may change and a failed apply must restore.
var guardedPaths = []string{"composer.json", "composer.lock", "vendor/composer", "vendor/magento/data-migration-tool"}

// requires checks the exact requirement composer.json records.
func requires(root, version string) resource.TestCheckFunc {
	return func(*terraformState) error {
		b, err := os.ReadFile(filepath.Join(root, "composer.json"))
		if err != nil {
			return err
		}
		if want := fmt.Sprintf(`"magento/data-migration-tool": "%s"`, version); !strings.Contains(string(b), want) {
			return fmt.Errorf("composer.json does not contain %s:\n%s", want, b)
		}
		return nil
	}
}

func requiresNot(root string) error {
	b, err := os.ReadFile(filepath.Join(root, "composer.json"))
	if err != nil {
		return err
	}
	if strings.Contains(string(b), "magento/data-migration-tool") {
		return fmt.Errorf("composer.json still requires the tool")
	}
	return nil
}
