package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// A pipeline passes everything in the environment: MAGENTO_SSH_CONFIG_FILE,
// MAGENTO_SSH_USER, MAGENTO_SSH_PRIVATE_KEY and MAGENTO_COMPOSER_AUTH, with a provider
// block that sets none of them. Composer gets MAGENTO_COMPOSER_AUTH, never the
// runner's own COMPOSER_AUTH; neither secret is in the state or a TRACE log.
func TestAccDataMigrationTool_settingsFromTheEnvironment(t *testing.T) {
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
	config := requireProvider + fmt.Sprintf(`
provider "magento" {
  ssh {
    agent = false
  }
}

resource "magento_data_migration_tool" "shop" {
  host         = "shop-from-env"
  magento_root = %q
  composer     = %q
  composer_env = %s
}
`, root, spy, r.composerEnvHCL())
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
