package provider

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

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
