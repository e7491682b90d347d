package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A pipeline passes everything in the environment: MAGENTO_SSH_CONFIG_FILE,
// MAGENTO_SSH_USER, MAGENTO_SSH_PRIVATE_KEY and MAGENTO_COMPOSER_AUTH, with a provider
// block that sets none of them. Composer gets MAGENTO_COMPOSER_AUTH, never the
// runner's own COMPOSER_AUTH; neither secret is in the state or a TRACE log.
func TestAccDataMigrationTool_environmentStandsInForTheProviderBlock(t *testing.T) {
	r := newRig(t)
	spy, calls := authSpy(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	nonce := fmt.Sprint(os.Getpid())
	pipelineAuth := composerAuthFor("pipeline", "pipeline-secret-"+nonce)
	localAuth := composerAuthFor("runner", "runner-secret-"+nonce)
	key, err := os.ReadFile(r.sshd.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	file := sshConfigFile(t, fmt.Sprintf("Host shop-from-env\n  HostName 127.0.0.1\n  Port %d\n  UserKnownHostsFile %s\n", r.sshd.Port, r.sshd.KnownHosts))
	config := requireProvider + `
provider "magento" {
  ssh {
    agent = false
  }
}
` + dmtHCL("shop", "shop-from-env", root, str("composer", spy), expr("composer_env", r.composerEnvHCL()))
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	trace := filepath.Join(t.TempDir(), "trace.log")
	w.env = append(w.env, "TF_LOG=TRACE", "TF_LOG_PATH="+trace,
		"MAGENTO_SSH_CONFIG_FILE="+file, "MAGENTO_SSH_USER=root", "MAGENTO_SSH_PRIVATE_KEY="+string(key),
		"MAGENTO_COMPOSER_AUTH="+pipelineAuth, "COMPOSER_AUTH="+localAuth)
	w.must("apply", "-auto-approve", "-no-color")
	expectComposerAuth(t, calls, map[string]string{"shop": root}, map[string]string{"shop": pipelineAuth}, "require magento/data-migration-tool:2.4.7")

	state, err := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"id": "ssh://root@shop-from-env:%d%s"`, r.sshd.Port, root); !strings.Contains(string(state), want) {
		t.Errorf("the state does not hold %s:\n%s", want, state)
	}
	log, err := os.ReadFile(trace)
	if err != nil || !strings.Contains(string(log), "ssh connected") {
		t.Fatalf("the TRACE log is missing or does not cover the connection (%v)", err)
	}
	keyLine := strings.Split(strings.TrimSpace(string(key)), "\n")[1]
	for what, text := range map[string]string{"state": string(state), "TRACE log": string(log)} {
		for _, secret := range []string{"pipeline-secret-" + nonce, "runner-secret-" + nonce, keyLine} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s holds a secret (%s...)", what, secret[:7])
			}
		}
	}
}

// Precedence for a host alias: what Terraform writes, then the MAGENTO_* environment
// (standing in for the provider block), then the config file, then OpenSSH's defaults.
// The local COMPOSER_AUTH is never picked up.
func TestConfigurePrecedenceOfTerraformEnvironmentAndFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(file, []byte("Host shop\n  HostName 10.0.0.7\n  Port 2222\n  User from-file\n  ConnectTimeout 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envSSHConfigFile, file)
	t.Setenv(envSSHUser, "from-env")
	t.Setenv(envComposerAuth, `{"github-oauth":{"github.com":"from-env"}}`)
	t.Setenv("COMPOSER_AUTH", `{"github-oauth":{"github.com":"local"}}`)

	resp := configure(t, nil, nil)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	d := configured(t, resp.ResourceData)
	if d.composerAuth != `{"github-oauth":{"github.com":"from-env"}}` {
		t.Errorf("composer_auth %q, want MAGENTO_COMPOSER_AUTH's", d.composerAuth)
	}
	c, err := d.config("shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "shop" || c.DialAddress() != "10.0.0.7:2222" || c.User != "from-env" || c.ConnectTimeout.Seconds() != 7 {
		t.Errorf("resolved %s as %s dialling %s, timeout %s", c.Host, c.User, c.DialAddress(), c.ConnectTimeout)
	}
	// A resource's own settings win over all.
	c, err = d.config("shop", &sshOverrideModel{User: types.StringValue("from-tf"), Port: types.Int64Value(22)})
	if err != nil || c.User != "from-tf" || c.Port != 22 {
		t.Errorf("resource settings lost: %s:%d, %v", c.User, c.Port, err)
	}
	// The provider block wins over the environment.
	resp = configure(t, map[string]tftypes.Value{"user": tftypes.NewValue(tftypes.String, "from-provider")},
		map[string]tftypes.Value{"composer_auth": tftypes.NewValue(tftypes.String, `{}`)})
	d = configured(t, resp.ResourceData)
	if c, _ := d.config("shop", nil); c.User != "from-provider" || d.composerAuth != `{}` {
		t.Errorf("the provider block lost to the environment: user %s, composer_auth %s", c.User, d.composerAuth)
	}
	// Without MAGENTO_COMPOSER_AUTH, nothing: the local COMPOSER_AUTH stays local.
	t.Setenv(envComposerAuth, "")
	if d := configured(t, configure(t, nil, nil).ResourceData); d.composerAuth != "" {
		t.Errorf("the local COMPOSER_AUTH was picked up: %q", d.composerAuth)
	}
}

// configured is the providerData Configure handed to resources.
func configured(t *testing.T, raw any) *providerData {
	t.Helper()
	d, ok := raw.(*providerData)
	if !ok {
		t.Fatalf("Configure handed resources %T", raw)
	}
	return d
}
