package provider

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A saved plan applied after the host changed is refused before Composer runs, with
// an error that says what changed; never "inconsistent result" after Composer ran.
// Driven through the CLI: plugin-testing cannot change the world between a saved plan
// and its apply.
func TestAccDataMigrationTool_stalePlanRefused(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	config := requireProvider + r.dmtConfig(root, "")
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.must("apply", "-auto-approve", "-no-color")

	for _, tc := range []struct {
		name      string
		afterPlan []string // composer arguments run out of band between plan and apply
		want      string
	}{
		{"Magento upgraded", []string{"require", "magento/product-community-edition:2.4.8", "magento/data-migration-tool:2.4.6", "-W"}, "Magento's version changed since the plan was made: the plan expected 2.4.7-p3, the host now has 2.4.8"},
		{"tool changed", []string{"require", "magento/data-migration-tool:2.4.6.1"}, "The installed Data Migration Tool changed since the plan was made: the plan expected 2.4.6, the host now has 2.4.6.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.composer(t, root, "require", "magento/product-community-edition:2.4.7-p3", "magento/data-migration-tool:2.4.6", "-W")
			w.must("plan", "-no-color", "-out=tfplan") // drift: 2.4.6 -> 2.4.7
			r.composer(t, root, tc.afterPlan...)
			before := testenv.Digest(t, root, guardedPaths...)
			out, err := w.run("apply", "-no-color", "tfplan")
			flat := strings.Join(strings.Fields(out), " ")
			if err == nil || !strings.Contains(flat, "Host Changed Since the Plan") || !strings.Contains(flat, tc.want) || !strings.Contains(flat, "run terraform plan again") {
				t.Fatalf("want the saved plan refused with %q, got %v:\n%s", tc.want, err, out)
			}
			if strings.Contains(out, "inconsistent result") {
				t.Fatalf("the apply ran before it refused:\n%s", out)
			}
			if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
				t.Fatalf("files changed:\n%s", diff)
			}
			_ = os.Remove(filepath.Join(w.dir, "tfplan"))
		})
	}
}
