// Command demo shows the provider end to end on this machine: a throwaway sshd on
// 127.0.0.1, a Magento root whose Data Migration Tool lags Magento, and the Terraform
// CLI running plan (drift), apply (backup and upgrade) and plan (no changes). It uses
// the test rig (internal/testenv) for sshd, Composer and the Magento root.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

func main() {
	dir := flag.String("dir", ".demo", "directory that holds everything the demo makes")
	terraform := flag.String("terraform", "terraform", "Terraform CLI to run")
	flag.Parse()
	if err := run(*dir, *terraform); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func run(dir, terraform string) (err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	rig := &testenv.Standalone{Dir: filepath.Join(dir, "host")}
	defer rig.Close() // stops sshd: the demo leaves no process running
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()

	step("1. Build the provider")
	bin := filepath.Join(dir, "bin")
	if err := sh("", nil, "go", "build", "-o", filepath.Join(bin, "terraform-provider-magento"), "."); err != nil {
		return err
	}
	say("built %s", filepath.Join(bin, "terraform-provider-magento"))

	step("2. Start a throwaway SSH server and a Magento shop")
	repo := testenv.NewRepo(rig)
	// The host keeps Composer offline on the demo's repository, as a real host's
	// environment would hold its own settings: the configuration stays what a user writes.
	sshd := testenv.StartSSHD(rig, testenv.SSHDOptions{ExtraConfig: []string{repo.SSHDSetEnv()}})
	say("OpenSSH sshd listens on 127.0.0.1:%d with fresh host keys; its known_hosts file is %s", sshd.Port, sshd.KnownHosts)
	root := repo.NewRoot(rig, filepath.Join(dir, "host", "var-www-magento"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	say("Magento 2.4.7-p3 (community) installed by Composer at %s", root)
	say("its Data Migration Tool is 2.4.6: it lags Magento, as after every Magento upgrade")

	step("3. Write a Terraform configuration")
	tf := filepath.Join(dir, "terraform")
	if err := os.MkdirAll(tf, 0o755); err != nil {
		return err
	}
	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"magento-ops/magento\" = %q\n  }\n  direct {}\n}\n", bin)), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tf, "main.tf"), []byte(configuration(sshd, root)), 0o644); err != nil {
		return err
	}
	say("%s (and a CLI config, %s, that points Terraform at the provider just built)", filepath.Join(tf, "main.tf"), rc)
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}

	say("(Terraform warns below that a development build of the provider is in use: expected here.)")

	step("4. terraform plan: the shop is imported and the drift shows (version 2.4.6 -> newest 2.4.7.x)")
	if err := sh(tf, env, terraform, "plan", "-no-color", "-compact-warnings"); err != nil {
		return err
	}
	step("5. terraform apply: lock, back up, composer require, verify")
	if err := sh(tf, env, terraform, "apply", "-auto-approve", "-no-color", "-compact-warnings"); err != nil {
		return err
	}
	step("6. terraform plan again: nothing to do")
	if err := sh(tf, env, terraform, "plan", "-detailed-exitcode", "-no-color", "-compact-warnings"); err != nil {
		return fmt.Errorf("the second plan was not empty: %w", err)
	}

	step("Done")
	say("The tool now matches Magento; the backup archive is the last_backup output above.")
	say("Everything the demo made is under %s; `make demo-clean` removes it. sshd has been stopped.", dir)
	return nil
}

func configuration(sshd *testenv.SSHD, root string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    magento = { source = "magento-ops/magento" }
  }
}

%s
# The shop exists already: adopt it into Terraform, then keep it in step.
import {
  to = magento_data_migration_tool.shop
  id = "ssh://root@127.0.0.1:%d%s"
}

resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  backup {
    keep = 5
  }
}

output "installed" {
  value = magento_data_migration_tool.shop.version
}

output "last_backup" {
  value = magento_data_migration_tool.shop.last_backup
}
`, sshd.ProviderHCL(), sshd.Port, root, root)
}

func step(title string) { fmt.Printf("\n==> %s\n", title) }

func say(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }

func sh(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	fmt.Printf("    $ %s %s\n", name, strings.Join(args, " "))
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%s exited with %d", name, exit.ExitCode())
		}
		return err
	}
	return nil
}
