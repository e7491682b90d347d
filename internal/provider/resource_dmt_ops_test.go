package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

func TestAccDataMigrationTool_runAs(t *testing.T) {
	r := newRig(t)
	testenv.EnsureUser(t)
	uid, _ := testenv.IDs(t, testenv.TestUser)
	root, home := ownedShop(t, r, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}, testenv.TestUser)
	base := filepath.Dir(root)
	if err := os.Chmod(root, 0o700); err != nil { // readable by its owner only
		t.Fatal(err)
	}
	// The data source's php -v runs as run_as too: a php wrapper records who ran it.
	phpUser := filepath.Join(home, "php-user")
	phpSpy := filepath.Join(base, "php-spy")
	if err := os.WriteFile(phpSpy, []byte("#!/bin/sh\nid -un > "+phpUser+"\nexec php \"$@\"\n"), 0o755); err != nil { //nolint:gosec // a test script
		t.Fatal(err)
	}

	config := r.providerConfig() + fmt.Sprintf(`
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %[1]q
  run_as       = %[2]q
  composer_env = {
    COMPOSER_HOME     = %[3]q
    COMPOSER_NO_AUDIT = "1"
  }
}

data "magento_installation" "shop" {
  host         = "127.0.0.1"
  magento_root = %[1]q
  run_as       = %[2]q
  php          = %[4]q
}
`, root, testenv.TestUser, home, phpSpy)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7")),
				statecheck.ExpectKnownValue("data.magento_installation.shop", tfjsonpath.New("magento_version"), knownvalue.StringExact("2.4.7-p3")),
				statecheck.ExpectKnownValue("data.magento_installation.shop", tfjsonpath.New("php_version"), knownvalue.NotNull())},
			Check: func(*terraformState) error {
				if who, err := os.ReadFile(phpUser); err != nil || strings.TrimSpace(string(who)) != testenv.TestUser {
					return fmt.Errorf("the data source's php -v ran as %q (%v), want run_as %s", who, err, testenv.TestUser)
				}
				// Every file composer, the backup and the lock wrote belongs to the run_as user.
				if wrong, err := notOwnedBy(root, uid); err != nil || len(wrong) > 0 {
					return fmt.Errorf("not owned by %s (%d): %v (%v)", testenv.TestUser, uid, wrong, err)
				}
				return nil
			},
		}},
	})
}

func chownTree(t *testing.T, root string, uid, gid int) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAccDataMigrationTool_backupsAndPreservePaths(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.6-p4", DMT: "2.4.6"})
	backupDir := filepath.Join(t.TempDir(), "dmt backups")
	mapFile := "etc/opensource-to-opensource/1.9.4.5/map.xml"
	custom := "<map customised=\"by the shop\"/>\n"
	if err := os.WriteFile(filepath.Join(root, "vendor/magento/data-migration-tool", mapFile), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	config := func(pin string) string {
		return r.dmtConfig(root, fmt.Sprintf(`  version        = %q
  preserve_paths = [%q]
  backup {
    directory = %q
    keep      = 2
  }`, pin, mapFile, backupDir))
	}
	var seen []string
	step := func(pin string, wantArchives int) resource.TestStep {
		return resource.TestStep{
			Config: config(pin),
			Check: func(s *terraformState) error {
				last := s.RootModule().Resources[shop].Primary.Attributes["last_backup"]
				seen = append(seen, last)
				if b, err := os.ReadFile(filepath.Join(root, "vendor/magento/data-migration-tool", mapFile)); err != nil || string(b) != custom {
					return fmt.Errorf("the customised map file did not survive the upgrade to %s: %q, %v", pin, b, err)
				}
				out, err := exec.Command("tar", "-tzf", last).CombinedOutput()
				if err != nil {
					return fmt.Errorf("last_backup %s is not a readable archive: %v %s", last, err, out)
				}
				for _, member := range []string{"composer.json", "composer.lock", "vendor/composer/installed.json", "vendor/magento/data-migration-tool/" + mapFile} {
					if !strings.Contains(string(out), member+"\n") {
						return fmt.Errorf("archive %s lacks %s", last, member)
					}
				}
				archives, _ := filepath.Glob(filepath.Join(backupDir, magento.ArchivePrefix+"*.tar.gz"))
				if len(archives) != wantArchives {
					return fmt.Errorf("want %d archives with keep = 2, found %v", wantArchives, archives)
				}
				if len(seen) == 3 {
					if _, err := os.Stat(seen[0]); !os.IsNotExist(err) {
						return fmt.Errorf("the oldest archive %s was not pruned", seen[0])
					}
				}
				return nil
			},
		}
	}
	// Pruning keeps the newest by modification time: age the archives made so far, an
	// hour per step, rather than sleeping between steps.
	age := func() {
		for i, archive := range seen {
			when := time.Now().Add(-time.Duration(len(seen)-i) * time.Hour)
			if err := os.Chtimes(archive, when, when); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	steps := []resource.TestStep{step("2.4.6.1", 1), step("2.4.6", 2), step("2.4.6.1", 2)}
	steps[1].PreConfig, steps[2].PreConfig = age, age
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProviders, Steps: steps})
}

func TestAccDataMigrationTool_destroyRemoves(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps:                    []resource.TestStep{{Config: r.dmtConfig(root, "")}},
		CheckDestroy: func(*terraformState) error {
			if _, err := os.Stat(filepath.Join(root, "vendor/magento/data-migration-tool")); !os.IsNotExist(err) {
				return fmt.Errorf("destroy left the tool installed")
			}
			archives, _ := filepath.Glob(filepath.Join(magento.StateDir(magento.RootStateBase, root), magento.ArchivePrefix+"*.tar.gz"))
			if len(archives) != 1 {
				return fmt.Errorf("destroy must back up first; archives: %v", archives)
			}
			return requiresNot(root)
		},
	})
}

func TestAccDataMigrationTool_destroyForgets(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	before := testenv.Digest(t, root, guardedPaths...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps:                    []resource.TestStep{{Config: r.dmtConfig(root, "  remove_on_destroy = false")}},
		CheckDestroy: func(*terraformState) error {
			if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
				return fmt.Errorf("remove_on_destroy = false must leave the host alone:\n%s", diff)
			}
			return nil
		},
	})
}

func requiresNot(root string) error {
	b, err := os.ReadFile(filepath.Join(root, "composer.json"))
	if err != nil {
		return err
	}
	if strings.Contains(string(b), "magento/data-migration-tool") {
		return fmt.Errorf("composer.json still requires the tool")
	}
	return nil
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

func TestAccDataMigrationTool_secretsStayOut(t *testing.T) {
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

resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  composer     = %q
  composer_env = %s
}
`, r.sshd.Port, r.sshd.ClientKey, r.sshd.KnownHosts, root, spy, r.composerEnvHCL())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7")), secretsAbsent{password, keyBody}},
		}},
	})
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

func TestAccDataMigrationTool_injectionRunsNothing(t *testing.T) {
	r := newRig(t)
	base := t.TempDir()
	marker := func(n int) string { return filepath.Join(base, fmt.Sprintf("pwned%d", n)) }
	evil := fmt.Sprintf("'; touch %s; '$(touch %s)`touch %s`", marker(1), marker(2), marker(3))
	// A real root whose path holds the payload: quoting must carry it through every command.
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	evilRoot := filepath.Join(base, "shop"+evil)
	if err := os.MkdirAll(filepath.Dir(evilRoot), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(root, evilRoot); err != nil {
		t.Fatal(err)
	}
	config := r.dmtConfig(evilRoot, fmt.Sprintf(`  composer_env = { EVIL = %q }
  preserve_paths = [%q]`, evil, "etc/"+strings.ReplaceAll(evil, "/", "_")))
	// dmtConfig already sets composer_env; the second one must replace it, so build by hand.
	config = strings.Replace(config, "  composer_env = {", "  composer_env = merge({", 1)
	config = strings.Replace(config, "\n  }\n  composer_env = { EVIL", "\n  }, { EVIL", 1)
	config = strings.Replace(config, fmt.Sprintf("%q }\n", evil), fmt.Sprintf("%q })\n", evil), 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      r.dmtConfig(fmt.Sprintf("/nonexistent'; touch %s; '$(touch %s)", marker(4), marker(5)), ""),
				ExpectError: regexp.MustCompile(`Magento Root Not Found`),
			},
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
			},
		},
	})
	for n := 1; n <= 5; n++ {
		if _, err := os.Stat(marker(n)); err == nil {
			t.Errorf("a value was executed by a shell: %s exists", marker(n))
		}
	}
}
