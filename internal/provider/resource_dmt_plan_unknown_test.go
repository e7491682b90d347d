package provider

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// shopModule is a child module holding the resource, its ssh settings passed in as
// values: a dynamic ssh block over a list and a jump host from the caller.
var shopModule = requireProvider + `
variable "host" { type = string }
variable "root" { type = string }
variable "composer_env" { type = map(string) }
variable "ssh" {
  type = list(object({ port = number, known_hosts_file = string }))
}
variable "jump" {
  type = object({ host = string, port = number, known_hosts_file = string })
}
` + dynamicSSHShop("var.host", "var.root", "var.composer_env", "var.ssh", "var.jump") + `
output "version" {
  value = magento_data_migration_tool.shop.version
}
`

// dynamicSSHShop is magento_data_migration_tool.shop with a dynamic ssh block over list
// and a bastion from jump (an object of host, port and known_hosts_file); every argument
// is an HCL expression, so that it can be one Terraform knows only later.
func dynamicSSHShop(host, root, env, list, jump string) string {
	return fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = %[1]s
  magento_root = %[2]s
  composer_env = %[3]s

  dynamic "ssh" {
    for_each = %[4]s
    content {
      port             = ssh.value.port
      known_hosts_file = ssh.value.known_hosts_file
      bastion {
        host             = %[5]s.host
        port             = %[5]s.port
        known_hosts_file = %[5]s.known_hosts_file
      }
    }
  }
}
`, host, root, env, list, jump)
}

// connModule hands the provider its connection settings as module outputs.
const connModule = `
variable "port" { type = number }
variable "key" { type = string }
output "ssh" {
  value = { user = "root", port = var.port, private_key_file = var.key }
}
`

// Settings that Terraform knows only later are normal: a dynamic ssh block, a jump host
// built from another resource, a host created in the same apply, and a provider ssh
// block fed by a module output, at the root and inside a module. validate passes; the
// plan defers what it cannot read (the version stays "known after apply", never read
// with defaults) and says so; the apply reaches the host through the jump host; the next
// plan is empty. Driven through the CLI: terraform-plugin-testing refuses child modules.
func TestAccUnknownValues_sshSettingsDeferTheReadUntilKnown(t *testing.T) {
	r := newRig(t)
	jump := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	jump.AuthorizeKey(t, r.sshd.ClientKeyPub)
	atRoot := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	inModule := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "magento"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	rootModule := requireProvider + fmt.Sprintf(`
module "conn" {
  source = "./conn"
  port   = %[1]d
  key    = %[2]q
}

provider "magento" {
  ssh {
    user             = module.conn.ssh.user
    port             = module.conn.ssh.port
    private_key_file = module.conn.ssh.private_key_file
    known_hosts_file = %[3]q
    agent            = false
  }
}

resource "terraform_data" "host" {
  input = "127.0.0.1"
}

resource "terraform_data" "jump" {
  input = { host = "127.0.0.1", port = %[4]d, known_hosts_file = %[5]q }
}

locals {
  ssh = [{ port = %[1]d, known_hosts_file = %[3]q }]
}
`, r.sshd.Port, r.sshd.ClientKey, r.sshd.KnownHosts, jump.Port, jump.KnownHosts) +
		dynamicSSHShop("terraform_data.host.output", strconv.Quote(atRoot), r.composerEnvHCL(), "local.ssh", "terraform_data.jump.output") + fmt.Sprintf(`
module "shop" {
  source       = "./shop"
  host         = terraform_data.host.output
  root         = %q
  composer_env = %s
  ssh          = local.ssh
  jump         = terraform_data.jump.output
}

output "versions" {
  value = [magento_data_migration_tool.shop.version, module.shop.version]
}
`, inModule, r.composerEnvHCL())
	w := newCLIWorkspace(t, map[string]string{"main.tf": rootModule, "shop/main.tf": shopModule, "conn/main.tf": connModule})
	w.must("get", "-no-color")
	w.must("validate", "-no-color")

	out := w.must("plan", "-no-color", "-out=tfplan")
	// Terraform folds the second warning of the same kind into "one more similar warning".
	if n := strings.Count(out, "Host Read Deferred Until Apply"); n != 2 && (n != 1 || !strings.Contains(out, "one more similar warning")) {
		t.Fatalf("the plan does not say, for both resources, that the read waits for apply:\n%s", out)
	}
	for _, rc := range w.showJSON("tfplan").ResourceChanges {
		if rc.Type == "magento_data_migration_tool" && rc.Change.AfterUnknown["version"] != true {
			t.Fatalf("%s plans a version before its host can be read: %v", rc.Address, rc.Change.AfterUnknown)
		}
	}

	w.must("apply", "-no-color", "tfplan")
	versions := w.showJSON().Values.Outputs["versions"].Value
	if fmt.Sprint(versions) != "[2.4.7 2.4.7]" {
		t.Fatalf("after apply the tool is at %v, want 2.4.7 at the root and in the module", versions)
	}
	if !strings.Contains(jump.Log(), fmt.Sprintf("target 127.0.0.1 port %d", r.sshd.Port)) {
		t.Fatal("the apply did not reach the host through the jump host")
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("the plan after apply is not empty (%v):\n%s", err, out)
	}
}

// run_as, php, composer and composer_env built from a resource that is created (or
// replaced) in the same apply are not known at plan: the plan reads nothing with
// defaults in their place (root's view, php, composer, no environment), leaves the
// versions "known after apply" and says why; the apply then reads and installs.
func TestAccUnknownValues_execSettingsDeferTheReadUntilKnown(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	config := func(serial int) string {
		return requireProvider + r.providerConfig() + fmt.Sprintf(`
resource "terraform_data" "exec" {
  input = {
    serial   = %d
    run_as   = "root"
    php      = "php"
    composer = "composer"
    env      = %s
  }
}

resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  run_as       = terraform_data.exec.output.run_as
  php          = terraform_data.exec.output.php
  composer     = terraform_data.exec.output.composer
  composer_env = terraform_data.exec.output.env
}

output "version" {
  value = magento_data_migration_tool.shop.version
}
`, serial, r.composerEnvHCL(), root)
	}
	w := newCLIWorkspace(t, map[string]string{"main.tf": config(1)})
	deferred := func(out string, unknown ...string) {
		t.Helper()
		if !strings.Contains(out, "Host Read Deferred Until Apply") && !strings.Contains(out, "Release Resolved At Apply") {
			t.Fatalf("the plan does not say why the versions wait for apply:\n%s", out)
		}
		for _, rc := range w.showJSON("tfplan").ResourceChanges {
			if rc.Type != "magento_data_migration_tool" {
				continue
			}
			for _, attr := range unknown {
				if rc.Change.AfterUnknown[attr] != true {
					t.Fatalf("%s plans %s = %v before run_as, php, composer and composer_env are known", rc.Address, attr, rc.Change.After[attr])
				}
			}
		}
	}

	// Create: nothing is read at plan.
	deferred(w.must("plan", "-no-color", "-out=tfplan"), "version", "magento_version", "magento_edition")
	w.must("apply", "-no-color", "tfplan")
	if v := w.showJSON().Values.Outputs["version"].Value; v != "2.4.7" {
		t.Fatalf("after apply the tool is at %v, want 2.4.7", v)
	}

	// Update: the tool fell behind and the settings are replaced in the same apply. The
	// refresh reads as before (state); the release is not listed with defaults.
	r.composer(t, root, "require", "magento/data-migration-tool:2.4.6")
	w.write("main.tf", config(2))
	deferred(w.must("plan", "-no-color", "-out=tfplan"), "version")
	w.must("apply", "-no-color", "tfplan")
	if v := w.showJSON().Values.Outputs["version"].Value; v != "2.4.7" {
		t.Fatalf("after apply the tool is at %v, want 2.4.7", v)
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("the plan after apply is not empty (%v):\n%s", err, out)
	}
}
