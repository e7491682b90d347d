package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Operators create config.xml and map.xml next to the .dist files in the tool's
// directory, as the upstream docs say; Composer deletes them on every upgrade. By
// default the apply carries them into the new version and names them in a warning;
// with carry_custom_files = false they are left out (and kept in the archive).
func TestAccDataMigrationTool_customFilesAreCarriedUnlessTurnedOff(t *testing.T) {
	r := newRig(t)
	custom := map[string]string{
		"etc/opensource-to-opensource/1.9.4.5/config.xml": "<config><source><database host=\"m1-db\"/></source></config>\n",
		"etc/opensource-to-opensource/1.9.4.5/map.xml":    "<map><source><document_rules><ignore><document>custom_*</document></ignore></document_rules></source></map>\n",
	}
	carry := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	leave := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "leave"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	for _, root := range []string{carry, leave} {
		for rel, content := range custom {
			if err := os.WriteFile(filepath.Join(root, "vendor/magento/data-migration-tool", rel), []byte(content), 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An operator's config.xml linked from outside vendor/ (the passwords stay out of the
	// tool's directory) is carried as the link it is.
	outside := filepath.Join(t.TempDir(), "dmt-config.xml")
	if err := os.WriteFile(outside, []byte("<config/>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(carry, "vendor/magento/data-migration-tool/etc/opensource-to-opensource/config.xml")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	config := requireProvider + r.providerConfig() +
		dmtHCL("carry", "127.0.0.1", carry, expr("composer_env", r.composerEnvHCL())) +
		dmtHCL("leave", "127.0.0.1", leave, expr("composer_env", r.composerEnvHCL()), expr("carry_custom_files", "false")) +
		hclBlock(`output "leave_backup"`, expr("value", "magento_data_migration_tool.leave.last_backup"))
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	out := strings.Join(strings.Fields(w.must("apply", "-auto-approve", "-no-color")), " ")
	if !strings.Contains(out, "Carried 3 file(s)") || !strings.Contains(out, "etc/opensource-to-opensource/config.xml") {
		t.Fatalf("the apply does not name the carried files:\n%s", out)
	}
	if target, err := os.Readlink(link); err != nil || target != outside {
		t.Errorf("the linked config.xml is not carried as a link to %s: %q, %v", outside, target, err)
	}
	for rel, content := range custom {
		if !strings.Contains(out, rel) {
			t.Errorf("the warning does not name %s", rel)
		}
		if b, err := os.ReadFile(filepath.Join(carry, "vendor/magento/data-migration-tool", rel)); err != nil || string(b) != content {
			t.Errorf("%s is not in the new version byte for byte: %q, %v", rel, b, err)
		}
		if _, err := os.Stat(filepath.Join(leave, "vendor/magento/data-migration-tool", rel)); !os.IsNotExist(err) {
			t.Errorf("with carry_custom_files = false, %s must be left out of the new version", rel)
		}
	}
	archive := fmt.Sprint(w.showJSON().Values.Outputs["leave_backup"].Value)
	members, err := exec.Command("tar", "-tzf", archive).Output()
	if err != nil {
		t.Fatalf("listing %s: %v", archive, err)
	}
	for rel := range custom {
		if !strings.Contains(string(members), "vendor/magento/data-migration-tool/"+rel+"\n") {
			t.Errorf("the archive %s lacks %s", archive, rel)
		}
	}
	// Counted by the warning's words: the test's own name, in every path, says Carried too.
	if n := len(regexp.MustCompile(`Carried\s+\d+\s+file\(s\)`).FindAllString(out, -1)); n != 1 {
		t.Errorf("only the carrying resource may warn:\n%s", out)
	}
}
