package provider

import (
	"encoding/json"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// Environment variables a CI system passes secrets in; each is used only where the
// provider block does not set the value. The local COMPOSER_AUTH is never read: a
// runner's own credentials must not reach hosts without being asked for.
const (
	envComposerAuth  = "MAGENTO_COMPOSER_AUTH"
	envSSHPrivateKey = "MAGENTO_SSH_PRIVATE_KEY"
	envSSHUser       = "MAGENTO_SSH_USER"
	envSSHConfigFile = "MAGENTO_SSH_CONFIG_FILE"
)

// applyEnvironment fills what the provider block left unset from the environment.
func applyEnvironment(d *providerData, composerAuthUnset bool, diags *diag.Diagnostics) {
	if v := os.Getenv(envComposerAuth); v != "" && composerAuthUnset {
		if !json.Valid([]byte(v)) {
			diags.AddAttributeError(path.Root("composer_auth"), "Invalid Composer Auth",
				envComposerAuth+" must be JSON as COMPOSER_AUTH expects. It is not shown here: it holds credentials.")
			return
		}
		d.composerAuth = v
	}
	if v := os.Getenv(envSSHPrivateKey); v != "" && !d.written.PrivateKey {
		d.base.PrivateKey, d.base.PrivateKeyFile = v, ""
		d.written.PrivateKey = true
	}
	if v := os.Getenv(envSSHUser); v != "" && !d.written.User {
		d.base.User = v
		d.written.User = true
	}
	if v := os.Getenv(envSSHConfigFile); v != "" && d.configFile == "" {
		d.configFile = expandHome(v)
	}
}
