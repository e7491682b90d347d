package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// authSpy is a composer command that logs, per call, its directory, the SHA-256 of
// the COMPOSER_AUTH it received and its arguments, then runs composer.
func authSpy(t *testing.T) (command, calls string) {
	t.Helper()
	dir := t.TempDir()
	command, calls = filepath.Join(dir, "composer-auth-spy"), filepath.Join(dir, "calls")
	script := "#!/bin/sh\nh=$(printf %s \"$COMPOSER_AUTH\" | sha256sum | cut -d' ' -f1)\necho \"$PWD $h $*\" >> '" + calls + "'\nexec composer \"$@\"\n"
	if err := os.WriteFile(command, []byte(script), 0o755); err != nil { //nolint:gosec // an executable test shim
		t.Fatal(err)
	}
	return command, calls
}

// sha256Hex is the hex SHA-256 of s, as sha256sum prints it.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// composerAuthFor is compact COMPOSER_AUTH JSON (as the provider sends it) holding secret.
func composerAuthFor(user, secret string) string {
	return fmt.Sprintf(`{"http-basic":{"repo.magento.com":{"username":%q,"password":%q}}}`, user, secret)
}

// Two shops with their own repo.magento.com keys, in one provider block: each shop's
// Composer gets its own credentials, at plan (the release listing) and at apply. The
// keys come in as ephemeral variables, as a pipeline passes them; they are nowhere in
// the saved plan's JSON, the state or a TRACE log. Changing the keys with
// composer_auth_wo_version is an update that runs nothing; the next Composer run uses
// them.
func TestAccDataMigrationTool_writeOnlyCredentialsReachOnlyTheirShop(t *testing.T) {
	skipCLIBelow(t, tfversion.SkipBelow(tfversion.Version1_11_0))
	r := newRig(t)
	spy, calls := authSpy(t)
	roots := map[string]string{
		"a": r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}),
		"b": r.root(t, testenv.RootSpec{Edition: "enterprise", Magento: "2.4.7-p3", DMT: "2.4.6"}),
	}
	nonce := fmt.Sprint(os.Getpid())
	fleetAuth := composerAuthFor("fleet", "provider-secret-"+nonce)
	auth := map[string]string{"a": composerAuthFor("shop-a", "shop-a-secret-"+nonce), "b": composerAuthFor("shop-b", "shop-b-secret-"+nonce)}
	config := func(versionA int) string {
		provider := strings.TrimSuffix(r.sshd.ProviderHCL(), "}\n") + "  composer_auth = var.fleet_auth\n}\n"
		var b strings.Builder
		b.WriteString(requireProvider + provider)
		for _, name := range []string{"fleet_auth", "auth_a", "auth_b"} {
			fmt.Fprintf(&b, "variable %q {\n  type      = string\n  sensitive = true\n  ephemeral = true\n}\n", name)
		}
		for _, shop := range []string{"a", "b"} {
			v := 1
			if shop == "a" {
				v = versionA
			}
			fmt.Fprintf(&b, `
resource "magento_data_migration_tool" %q {
  host                     = "127.0.0.1"
  magento_root             = %q
  composer                 = %q
  composer_env             = %s
  composer_auth_wo         = var.auth_%s
  composer_auth_wo_version = %d
}
`, shop, roots[shop], spy, r.composerEnvHCL(), shop, v)
		}
		return b.String()
	}
	w := newCLIWorkspace(t, map[string]string{"main.tf": config(1)})
	trace := filepath.Join(t.TempDir(), "trace.log")
	w.env = append(w.env, "TF_LOG=TRACE", "TF_LOG_PATH="+trace, "TF_VAR_fleet_auth="+fleetAuth, "TF_VAR_auth_a="+auth["a"], "TF_VAR_auth_b="+auth["b"])

	w.must("plan", "-out=tfplan", "-no-color")
	planJSON := w.must("show", "-json", "tfplan")
	w.must("apply", "-no-color", "tfplan")
	expectComposerAuth(t, calls, roots, map[string]string{"a": auth["a"], "b": auth["b"]}, "require magento/data-migration-tool:2.4.7")

	state, err := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(trace)
	if err != nil || !strings.Contains(string(log), "composer_auth_wo") {
		t.Fatalf("the TRACE log is missing or does not cover the resources (%v)", err)
	}
	for what, text := range map[string]string{"plan JSON": planJSON, "state": string(state), "TRACE log": string(log)} {
		for _, secret := range []string{"shop-a-secret-" + nonce, "shop-b-secret-" + nonce, "provider-secret-" + nonce} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s holds a secret (%s...)", what, secret[:7])
			}
		}
	}

	// New keys for shop a: an update of composer_auth_wo_version only, which runs nothing.
	auth["a"] = composerAuthFor("shop-a", "shop-a-rotated-"+nonce)
	w.env = append(w.env, "TF_VAR_auth_a="+auth["a"])
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(config(2)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(calls); err != nil {
		t.Fatal(err)
	}
	out := w.must("apply", "-auto-approve", "-no-color")
	if !regexp.MustCompile(`0 added, 1 changed, 0 destroyed`).MatchString(out) {
		t.Fatalf("bumping composer_auth_wo_version is not one in-place update:\n%s", out)
	}
	if b, err := os.ReadFile(calls); err == nil {
		t.Fatalf("an update of composer_auth_wo_version ran composer:\n%s", b)
	}
	// Someone downgrades the tool: the repair uses the new keys.
	r.composer(t, roots["a"], "require", "magento/data-migration-tool:2.4.6")
	w.must("apply", "-auto-approve", "-no-color")
	expectComposerAuth(t, calls, map[string]string{"a": roots["a"]}, map[string]string{"a": auth["a"]}, "require magento/data-migration-tool:2.4.7")
}

// expectComposerAuth checks that every Composer call in each shop's root received that
// shop's credentials, and that want (a command) ran in each.
func expectComposerAuth(t *testing.T, calls string, roots, auth map[string]string, want string) {
	t.Helper()
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatalf("composer never ran: %v", err)
	}
	for shop, root := range roots {
		ran := false
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			dir, rest, _ := strings.Cut(line, " ")
			if dir != root {
				continue
			}
			hash, args, _ := strings.Cut(rest, " ")
			if hash != sha256Hex(auth[shop]) {
				t.Errorf("composer %s in shop %s got other credentials than its composer_auth_wo", args, shop)
			}
			ran = ran || strings.HasPrefix(args, want)
		}
		if !ran {
			t.Errorf("%q did not run in shop %s:\n%s", want, shop, b)
		}
	}
}

// On a CLI without write-only attributes, composer_auth_wo is refused before anything
// runs, naming the version that has them.
func TestAccDataMigrationTool_writeOnlyNeedsANewerCLI(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	applyFails(t, root, r.dmtConfig(root, fmt.Sprintf("  composer_auth_wo = %q", composerAuthFor("shop", "s"))), regexp.MustCompile(`Write-only\s+attributes\s+are\s+only\s+supported\s+in\s+Terraform\s+1\.11\s+and\s+later`), tfversion.SkipAbove(tfversion.Version1_10_0))
}

// A Composer repository that refuses the credentials (as repo.magento.com does with
// wrong keys) gets the credential hint, naming that repository; the files stay as
// they were.
func TestAccDataMigrationTool_refusedCredentialsGetTheCredentialHint(t *testing.T) {
	r := newRig(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Magento repository"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	}))
	t.Cleanup(refusing.Close)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	addRepository(t, root, refusing.URL)

	// Composer keys credentials by host and port: these reach the server, which refuses them.
	auth := fmt.Sprintf(`{"http-basic":{%q:{"username":"public-key","password":"wrong-private-key"}}}`, strings.TrimPrefix(refusing.URL, "http://"))
	provider := strings.TrimSuffix(r.sshd.ProviderHCL(), "}\n") + fmt.Sprintf("  composer_auth = %q\n}\n", auth)
	config := provider + dmtHCL("shop", "127.0.0.1", root, expr("composer_env", r.composerEnvHCL()))
	applyFails(t, root, config, regexp.MustCompile(`The Composer repository 127\.0\.0\.1 refused the\s+credentials(.|\n)*set\s+composer_auth`))
}

// addRepository puts a Composer repository at url first in root's composer.json, over
// plain HTTP (the test server's).
func addRepository(t *testing.T, root, url string) {
	t.Helper()
	editComposerJSON(t, root, func(manifest map[string]any) {
		repos, _ := manifest["repositories"].([]any)
		manifest["repositories"] = append([]any{map[string]any{"type": "composer", "url": url}}, repos...)
		cfg, _ := manifest["config"].(map[string]any)
		cfg["secure-http"] = false
		manifest["config"] = cfg
	})
}

// secretsAbsent fails when the state holds any of the secrets.
type secretsAbsent []string

func (s secretsAbsent) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if !strings.Contains(string(b), "magento_data_migration_tool") {
		resp.Error = fmt.Errorf("state does not hold the resource; the check would prove nothing")
		return
	}
	for _, secret := range s {
		if strings.Contains(string(b), secret) {
			resp.Error = fmt.Errorf("state contains a secret (%.8s...)", secret)
		}
	}
}

func TestAccDataMigrationTool_secretsStayOutOfStateLogsAndCommandLines(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	logFile := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logFile)

	keyPEM, err := os.ReadFile(r.sshd.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	keyBody := strings.Split(strings.TrimSpace(string(keyPEM)), "\n")[2] // a line of key material
	password := fmt.Sprintf("priv-%d-secret", time.Now().UnixNano())
	auth := fmt.Sprintf(`{"http-basic": {"repo.magento.com": {"username": "pub-user", "password": %q}}}`, password)
	sum := sha256.Sum256([]byte(strings.ReplaceAll(auth, " ", "")))
	spyOut := filepath.Join(t.TempDir(), "auth.sha256")
	spy := filepath.Join(t.TempDir(), "composer-spy")
	// Records a hash of COMPOSER_AUTH (proving it arrived) and how composer was called.
	if err := os.WriteFile(spy, []byte("#!/bin/sh\nprintf %s \"$COMPOSER_AUTH\" | sha256sum | cut -d' ' -f1 >> "+spyOut+
		"\nps -o args= -p $$ >> "+spyOut+".argv\nexec composer \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// As in production, the credentials come from a sensitive variable, not the file.
	t.Setenv("TF_VAR_magento_repo_auth", auth)
	config := fmt.Sprintf(`
variable "magento_repo_auth" {
  type      = string
  sensitive = true
}

provider "magento" {
  ssh {
    user             = "root"
    port             = %d
    private_key      = file(%q)
    known_hosts_file = %q
    agent            = false
  }
  composer_auth = var.magento_repo_auth
}
`, r.sshd.Port, r.sshd.ClientKey, r.sshd.KnownHosts) + dmtHCL("shop", "127.0.0.1", root, str("composer", spy), expr("composer_env", r.composerEnvHCL()))
	accTest(t, []resource.TestStep{{
		Config:            config,
		ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7")), secretsAbsent{password, keyBody}},
	}})
	got, err := os.ReadFile(spyOut)
	if err != nil || !strings.Contains(string(got), hex.EncodeToString(sum[:])) {
		t.Fatalf("COMPOSER_AUTH did not reach composer intact: %q, %v", got, err)
	}
	argv, _ := os.ReadFile(spyOut + ".argv")
	if strings.Contains(string(argv), password) {
		t.Fatal("the Composer password appeared in a command line")
	}
	logs, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(logs), "ssh connect") {
		t.Fatalf("the trace log did not capture the provider's logs, so it proves nothing: %v", err)
	}
	for name, secret := range map[string]string{"composer_auth": password, "private key": keyBody} {
		if strings.Contains(string(logs), secret) {
			t.Errorf("the TRACE log contains the %s", name)
		}
	}
}
