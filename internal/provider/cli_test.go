package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// A provider binary built from this source, shared by the CLI-driven tests.
var (
	builtProvider     string
	buildProviderOnce sync.Once
	buildProviderErr  error
	buildProviderDir  string
)

// cliWorkspace runs the Terraform CLI of TF_ACC_TERRAFORM_PATH (Terraform or OpenTofu)
// in a folder of its own against that binary, through dev_overrides: for what
// terraform-plugin-testing cannot drive, such as child modules (its state shim refuses
// them).
type cliWorkspace struct {
	t   *testing.T
	dir string
	env []string
}

func newCLIWorkspace(t *testing.T, files map[string]string) *cliWorkspace {
	t.Helper()
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || cli == "" {
		t.Skip("acceptance test: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make testacc)")
	}
	buildProviderOnce.Do(func() {
		// Shared by every test of the binary: removed by TestMain, not a test's cleanup.
		if buildProviderDir, buildProviderErr = os.MkdirTemp("", "tfmagento-provider-"); buildProviderErr != nil { //nolint:usetesting // see above
			return
		}
		builtProvider = filepath.Join(buildProviderDir, "terraform-provider-magento")
		out, err := exec.Command("go", "build", "-o", builtProvider, "../..").CombinedOutput()
		if err != nil {
			buildProviderErr = &buildError{err, out}
		}
	})
	if buildProviderErr != nil {
		t.Fatalf("building the provider: %v", buildProviderErr)
	}
	dir := t.TempDir()
	rc := filepath.Join(dir, "dev.tfrc")
	overrides := "provider_installation {\n  dev_overrides {\n    \"magento-ops/magento\" = \"" + buildProviderDir + "\"\n  }\n  direct {}\n}\n"
	if err := os.WriteFile(rc, []byte(overrides), 0o600); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	for name, body := range files {
		path := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := &cliWorkspace{t: t, dir: work, env: append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")}
	t.Cleanup(func() { _, _ = w.run("destroy", "-auto-approve", "-no-color") })
	return w
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// write replaces a file of the workspace (the next command's configuration).
func (w *cliWorkspace) write(name, body string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(body), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// run runs the CLI with args in the workspace and returns what it printed.
func (w *cliWorkspace) run(args ...string) (string, error) {
	cmd := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), args...) //nolint:gosec // the test's own CLI
	cmd.Dir, cmd.Env = w.dir, w.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// must runs the CLI and fails the test when it fails.
func (w *cliWorkspace) must(args ...string) string {
	w.t.Helper()
	out, err := w.run(args...)
	if err != nil {
		w.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// shownJSON is what the tests read of `show -json` (a plan or the state).
type shownJSON struct {
	ResourceChanges []struct {
		Address string `json:"address"`
		Type    string `json:"type"`
		Change  struct {
			Actions      []string       `json:"actions"`
			After        map[string]any `json:"after"`
			AfterUnknown map[string]any `json:"after_unknown"`
		} `json:"change"`
	} `json:"resource_changes"`
	Values struct {
		Outputs map[string]struct {
			Value any `json:"value"`
		} `json:"outputs"`
	} `json:"values"`
}

// showJSON is `show -json [plan]` decoded.
func (w *cliWorkspace) showJSON(args ...string) shownJSON {
	w.t.Helper()
	cmd := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), append([]string{"show", "-json"}, args...)...) //nolint:gosec // the test's own CLI
	cmd.Dir, cmd.Env = w.dir, w.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("show -json: %v\n%s", err, stderr.String())
	}
	var doc shownJSON
	if err := json.Unmarshal(out, &doc); err != nil {
		w.t.Fatalf("show -json printed no JSON: %v\n%s", err, out)
	}
	return doc
}

// removeBuiltProvider is TestMain's cleanup.
func removeBuiltProvider() {
	if buildProviderDir != "" {
		_ = os.RemoveAll(buildProviderDir)
	}
}

// skipCLIBelow applies tfversion checks (SkipBelow, ...) to the CLI of
// TF_ACC_TERRAFORM_PATH, as resource.Test's TerraformVersionChecks do, for the tests
// that drive the CLI themselves.
func skipCLIBelow(t *testing.T, checks ...tfversion.TerraformVersionCheck) {
	t.Helper()
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || cli == "" {
		t.Skip("acceptance test: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make testacc)")
	}
	out, err := exec.Command(cli, "version", "-json").Output() //nolint:gosec // the test's own CLI
	var doc struct {
		Version string `json:"terraform_version"`
	}
	if err == nil {
		err = json.Unmarshal(out, &doc)
	}
	v, verr := version.NewVersion(doc.Version)
	if err != nil || verr != nil {
		t.Fatalf("reading the version of %s: %v %v\n%s", cli, err, verr, out)
	}
	for _, check := range checks {
		var resp tfversion.CheckTerraformVersionResponse
		check.CheckTerraformVersion(context.Background(), tfversion.CheckTerraformVersionRequest{TerraformVersion: v}, &resp)
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		if resp.Skip != "" {
			t.Skip(resp.Skip)
		}
	}
}
