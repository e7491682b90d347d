package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// slowComposer runs composer, signals that it wrote the new version (touching marker),
// then stays busy: an install step that is still running.
func slowComposer(t *testing.T, marker, sleep string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "composer-slow")
	script := "#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\" || exit $?\ntouch '" + marker + "'\nexec sleep " + sleep + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// gone fails when a process with this exact command line still runs.
func gone(t *testing.T, cmdline string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := exec.Command("pgrep", "-f", "^"+cmdline+"$").Run(); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q is still running", cmdline)
		}
	}
}

// waitUntil polls ok for up to 30 s; any goroutine may call it.
func waitUntil(ok func() bool) bool {
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// waitFor fails the test when ok does not become true; only the test's goroutine may
// call it.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	if !waitUntil(ok) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestAccDataMigrationTool_timeoutStopsAndRestores(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guardedPaths...)
	sleep := "3601.25"
	composer := slowComposer(t, filepath.Join(t.TempDir(), "wrote"), sleep)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      r.dmtConfig(root, fmt.Sprintf("  composer = %q\n  timeouts {\n    create = \"6s\"\n  }", composer)),
				ExpectError: regexp.MustCompile(`Operation Timed Out(.|\n)*interrupted(.|\n)*composer require(.|\n)*deadline\s+exceeded(.|\n)*restored\s+from`),
			},
			{
				PreConfig: func() {
					gone(t, "sleep "+sleep)
					if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
						t.Errorf("a timed-out apply left changes:\n%s", diff)
					}
					if _, err := os.Stat(filepath.Join(root, "var", ".tf-magento-dmt.lock")); !os.IsNotExist(err) {
						t.Errorf("a timed-out apply left its lock")
					}
				},
				Config:            r.dmtConfig(root, ""),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
			},
		},
	})
}

func TestAccDataMigrationTool_sshdKilledDuringApply(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guardedPaths...)
	marker := filepath.Join(t.TempDir(), "wrote")
	sleep := "3602.5"
	composer := slowComposer(t, marker, sleep)
	lock := filepath.Join(root, "var", ".tf-magento-dmt.lock")
	killed := make(chan bool, 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					go func() { // once composer has rewritten the files, sshd dies under it
						wrote := waitUntil(func() bool { _, err := os.Stat(marker); return err == nil })
						if wrote {
							r.sshd.Kill()
						}
						killed <- wrote
					}()
				},
				Config:      r.dmtConfig(root, fmt.Sprintf("  composer = %q", composer)),
				ExpectError: regexp.MustCompile(`connection to 127\.0\.0\.1:\d+\s+lost(.|\n)*restores\s+its\s+backup`),
			},
			{
				PreConfig: func() {
					if !<-killed {
						t.Fatal("composer never wrote its files, so sshd was not killed under it")
					}
					// The host cleaned up on its own: the watchdog stopped composer and the
					// apply script restored its backup and released the lock.
					waitFor(t, "the lock to be released", func() bool { _, err := os.Stat(lock); return os.IsNotExist(err) })
					gone(t, "sleep "+sleep)
					if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
						t.Errorf("the interrupted apply left a half-upgraded tool:\n%s", diff)
					}
					r.sshd.Start(t)
				},
				Config:            r.dmtConfig(root, ""),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
			},
		},
	})
}

func TestAccDataMigrationTool_resourcesShareOneConnection(t *testing.T) {
	r := newRig(t)
	pool := remote.NewCountingPool()
	t.Cleanup(pool.Close)
	// Every Terraform command gets a provider on the same pool, as resources in one
	// provider process do.
	shared := map[string]func() (tfprotov6.ProviderServer, error){
		"magento": func() (tfprotov6.ProviderServer, error) {
			return providerserver.NewProtocol6(&magentoProvider{version: "test", connector: poolConnector{pool}})(), nil
		},
	}
	var roots []string
	for range 6 {
		roots = append(roots, r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"}))
	}
	config := r.providerConfig() + fmt.Sprintf(`
locals {
  roots = %s
}

resource "magento_data_migration_tool" "fleet" {
  count        = length(local.roots)
  host         = "127.0.0.1"
  magento_root = local.roots[count.index]
}
`, hclList(roots))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: shared,
		Steps: []resource.TestStep{{
			Config: config,
			Check: func(*terraformState) error {
				if n := strings.Count(r.sshd.Log(), "Accepted publickey"); n != 1 || pool.Stats.Connections.Load() != 1 {
					return fmt.Errorf("6 resources used %d SSH logins (%d dials), want 1", n, pool.Stats.Connections.Load())
				}
				return nil
			},
		}},
	})
}

func TestAccInstallation_throughBastions(t *testing.T) {
	r := newRig(t)
	jump1 := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	jump2 := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	jump2.AuthorizeKey(t, r.sshd.ClientKeyPub)
	jump1.AuthorizeKey(t, r.sshd.ClientKeyPub)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8.1"})
	config := r.providerConfig() + fmt.Sprintf(`
data "magento_installation" "shop" {
  host         = "127.0.0.1"
  magento_root = %q
  ssh {
    bastion {
      host             = "127.0.0.1"
      port             = %d
      known_hosts_file = %q
    }
    bastion {
      host             = "127.0.0.1"
      port             = %d
      known_hosts_file = %q
      user             = "root"
    }
  }
}
`, root, jump1.Port, jump1.KnownHosts, jump2.Port, jump2.KnownHosts)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue("data.magento_installation.shop",
				tfjsonpath.New("data_migration_tool_version"), knownvalue.StringExact("2.4.8.1"))},
			Check: func(*terraformState) error {
				for _, hop := range []struct {
					log  string
					next int
				}{{jump1.Log(), jump2.Port}, {jump2.Log(), r.sshd.Port}} {
					if !strings.Contains(hop.log, fmt.Sprintf("target 127.0.0.1 port %d", hop.next)) {
						return fmt.Errorf("a jump host did not forward to port %d", hop.next)
					}
				}
				return nil
			},
		}},
	})
}

func hclList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
