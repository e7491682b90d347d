package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// sshConfigFile writes an OpenSSH client config file for a test.
func sshConfigFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// configFileProvider is a provider block whose ssh settings come from the OpenSSH
// config file alone (no agent).
func configFileProvider(file string) string {
	return fmt.Sprintf("provider \"magento\" {\n  ssh {\n    config_file = %q\n    agent       = false\n  }\n}\n", file)
}

// shopsBehindProxy is three shops on one Host alias of a config file whose
// ProxyCommand (ssh -W through a second sshd) records each run.
type shopsBehindProxy struct {
	r         *rig
	jump      *testenv.SSHD
	pids      string // the ProxyCommand's runs
	roots     []string
	config    string
	id        string // of the first shop
	pool      *remote.Pool
	factories map[string]func() (tfprotov6.ProviderServer, error) // on pool, shared by every command
}

func newShopsBehindProxy(t *testing.T) *shopsBehindProxy {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc)")
	}
	// Composer's offline environment comes from sshd, so the configuration holds only
	// what an import gives back.
	s := &shopsBehindProxy{r: newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{testenv.SharedRepo(t).SSHDSetEnv()}})}
	s.jump = testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	proxy, pids := s.jump.RecordingProxyCommand(t)
	s.pids = pids
	file := sshConfigFile(t, s.r.sshd.SSHConfigHost("shop-behind-ssm", "StrictHostKeyChecking no", "ProxyCommand "+proxy))
	for range 3 {
		s.roots = append(s.roots, s.r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"}))
	}
	s.pool = remote.NewPool()
	t.Cleanup(s.pool.Close)
	s.factories = map[string]func() (tfprotov6.ProviderServer, error){
		"magento": func() (tfprotov6.ProviderServer, error) {
			return providerserver.NewProtocol6(&magentoProvider{version: "test", connector: poolConnector{s.pool}})(), nil
		},
	}
	s.config = configFileProvider(file) + fmt.Sprintf(`
locals {
  roots = %s
}

resource "magento_data_migration_tool" "shop" {
  host         = "shop-behind-ssm"
  magento_root = local.roots[0]
}

resource "magento_data_migration_tool" "more" {
  count        = 2
  host         = "shop-behind-ssm"
  magento_root = local.roots[count.index + 1]
}
`, hclList(s.roots))
	s.id = fmt.Sprintf("ssh://root@shop-behind-ssm:%d%s", s.r.sshd.Port, s.roots[0])
	return s
}

// A Host alias with HostName, Port, User, IdentityFile, UserKnownHostsFile and a
// ProxyCommand (ssh -W through a second sshd): plans and applies; the ProxyCommand
// carries the connection, once per pooled connection, for three resources; the id
// names the alias, and an import of that id writes no ssh override into state.
func TestAccDataMigrationTool_sshConfigFileProxyCommandCarriesOnePooledConnection(t *testing.T) {
	s := newShopsBehindProxy(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: s.factories,
		Steps: []resource.TestStep{
			{
				Config: s.config,
				ConfigStateChecks: []statecheck.StateCheck{
					expect("version", knownvalue.StringExact("2.4.7")),
					expect("id", knownvalue.StringExact(s.id)),
					expect("ssh", knownvalue.Null()),
				},
				Check: func(*terraformState) error {
					if n := len(testenv.RecordedPids(s.pids)); n != 1 {
						return fmt.Errorf("the ProxyCommand ran %d times for 3 resources on one pooled connection, want 1", n)
					}
					if want := fmt.Sprintf("target 127.0.0.1 port %d", s.r.sshd.Port); !strings.Contains(s.jump.Log(), want) {
						return fmt.Errorf("the ProxyCommand's ssh -W did not carry the connection; the jump host's log:\n%s", s.jump.Log())
					}
					return nil
				},
			},
			{
				ResourceName:            shop,
				ImportState:             true,
				ImportStateId:           s.id,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"last_backup"},
			},
		},
	})
	s.pool.Close()
	for _, pid := range testenv.RecordedPids(s.pids) {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("ProxyCommand %d still runs after its connection closed", pid)
		}
	}
}

// Terraform 1.12 and later: the identity of a shop on a Host alias is the alias and
// root, without the port and user the file gives; an import block naming it imports
// the shop with a no-op plan.
func TestAccDataMigrationTool_sshConfigFileIdentityIsAliasAndRoot(t *testing.T) {
	s := newShopsBehindProxy(t)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: s.factories,
		Steps: []resource.TestStep{
			{
				Config: s.config,
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectIdentity(shop, map[string]knownvalue.Check{
					"host": knownvalue.StringExact("shop-behind-ssm"), "magento_root": knownvalue.StringExact(s.roots[0]),
					"user": knownvalue.Null(), "port": knownvalue.Null(),
				})},
			},
			{
				ResourceName:    shop,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// ProxyJump in the file reaches a host behind a jump host, itself an alias of the file.
func TestAccInstallation_sshConfigFileProxyJumpReachesTheHost(t *testing.T) {
	r := newRig(t)
	jump := testenv.StartSSHD(t, testenv.SSHDOptions{ExtraConfig: []string{"LogLevel DEBUG1"}})
	jump.AuthorizeKey(t, r.sshd.ClientKeyPub)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8.1"})
	file := sshConfigFile(t, fmt.Sprintf(`Host inner
  HostName 127.0.0.1
  Port %d
  ProxyJump root@gateway
  UserKnownHostsFile %s

Host gateway
  HostName 127.0.0.1
  Port %d
  UserKnownHostsFile %s

Host *
  User root
  IdentityFile %s
`, r.sshd.Port, r.sshd.KnownHosts, jump.Port, jump.KnownHosts, r.sshd.ClientKey))
	config := fmt.Sprintf(`provider "magento" {
  ssh {
    agent = false
  }
}

data "magento_installation" "shop" {
  host         = "inner"
  magento_root = %q
  ssh {
    config_file = %q
  }
}
`, root, file)
	accTest(t, []resource.TestStep{{
		Config: config,
		ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue("data.magento_installation.shop",
			tfjsonpath.New("data_migration_tool_version"), knownvalue.StringExact("2.4.8.1"))},
		Check: func(*terraformState) error {
			if want := fmt.Sprintf("target 127.0.0.1 port %d", r.sshd.Port); !strings.Contains(jump.Log(), want) {
				return fmt.Errorf("the jump host did not forward to the target; its log:\n%s", jump.Log())
			}
			return nil
		},
	}})
}

// StrictHostKeyChecking no (or accept-new) in the file never turns checking off nor
// writes known_hosts: an unknown key fails with its fingerprint, naming the alias.
func TestAccInstallation_sshConfigFileNeverTurnsHostKeyChecksOff(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8.1"})
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	file := sshConfigFile(t, r.sshd.SSHConfigHost("unknown-key", "UserKnownHostsFile "+empty, "StrictHostKeyChecking no")+
		"Host other\n  StrictHostKeyChecking accept-new\n")
	config := configFileProvider(file) + installationHCL("shop", "unknown-key", root)
	accTest(t, []resource.TestStep{{
		Config:      config,
		ExpectError: regexp.MustCompile(`(?s)host key for 127\.0\.0\.1:\d+\s+is\s+not\s+in\s+known_hosts.*UserKnownHostsFile.*line\s+2.*Host\s+unknown-key.*SHA256:`),
	}})
	if b, _ := os.ReadFile(empty); len(b) != 0 {
		t.Fatalf("the known_hosts file was written to:\n%s", b)
	}
}

// Ctrl-C during an apply over a ProxyCommand: Terraform stops, and the ProxyCommand is
// gone with the provider's connection.
func TestAccDataMigrationTool_sshConfigFileProxyCommandGoneAfterInterrupt(t *testing.T) {
	r := newRig(t)
	jump := testenv.StartSSHD(t, testenv.SSHDOptions{})
	proxy, pids := jump.RecordingProxyCommand(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	marker := filepath.Join(t.TempDir(), "wrote")
	composer := slowComposer(t, marker, "3603.75")
	file := sshConfigFile(t, r.sshd.SSHConfigHost("behind-proxy", "ProxyCommand "+proxy))
	config := requireProvider + configFileProvider(file) +
		dmtHCL("shop", "behind-proxy", root, str("composer", composer), expr("composer_env", r.composerEnvHCL()))
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	cmd := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), "apply", "-auto-approve", "-no-color") //nolint:gosec // the test's own CLI
	cmd.Dir, cmd.Env = w.dir, w.env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "composer to start over the ProxyCommand", func() bool { _, err := os.Stat(marker); return err == nil })
	running := testenv.RecordedPids(pids)
	if len(running) == 0 {
		t.Fatal("the apply did not go through the ProxyCommand")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done: // terraform reports the interrupt with a non-zero status
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("terraform did not stop after Ctrl-C:\n%s", out.String())
	}
	for _, pid := range running {
		for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("ProxyCommand %d still runs after Ctrl-C; terraform printed:\n%s", pid, out.String())
			}
		}
	}
	gone(t, "sleep 3603.75")
}

// A ProxyCommand that exits at once is reported at once: the file and line that set it,
// its exit status and its last stderr lines.
func TestAccInstallation_sshConfigFileProxyCommandThatExitsFailsAtOnce(t *testing.T) {
	r := newRig(t)
	file := sshConfigFile(t, r.sshd.SSHConfigHost("no-tunnel", "ProxyCommand sh -c 'echo SessionManagerPlugin is not found >&2; exit 7'"))
	config := configFileProvider(file) + installationHCL("shop", "no-tunnel", "/var/www/magento")
	started := time.Now()
	accTest(t, []resource.TestStep{{
		Config:      config,
		ExpectError: regexp.MustCompile(`(?s)ProxyCommand.*line\s+2.*exit\s+status\s+7.*SessionManagerPlugin\s+is\s+not\s+found`),
	}})
	if took := time.Since(started); took > 20*time.Second {
		t.Errorf("the failing ProxyCommand was retried for %s", took)
	}
}

// The README's hosts behind SSM, EC2 Instance Connect, IAP and Teleport, through stand-in
// aws, gcloud and tsh commands that take the same arguments: each is read with host
// keys checked against known_hosts lines for its HostName and port, as ssh records them.
func TestAccInstallation_sshConfigFileCloudProxyCommandsCheckHostKeys(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.8.1"})
	bin, calls := testenv.CloudCLIs(t)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	hosts := testenv.READMEProxyHosts(t)
	known := filepath.Join(t.TempDir(), "known_hosts")
	var lines, sources strings.Builder
	for alias, hostName := range testenv.HostNames(hosts) {
		fmt.Fprintf(&lines, "[%s]:%d %s\n", hostName, r.sshd.Port, r.sshd.HostKeyLine)
		fmt.Fprintf(&sources, "data \"magento_installation\" %q {\n  host         = %q\n  magento_root = %q\n}\n", alias, alias, root)
	}
	if err := os.WriteFile(known, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	file := sshConfigFile(t, fmt.Sprintf("Host *\n  Port %d\n  User root\n  IdentityFile %s\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n\n%s",
		r.sshd.Port, r.sshd.ClientKey, known, hosts))
	config := configFileProvider(file) + "\n" + sources.String()
	var checks []statecheck.StateCheck
	for alias := range testenv.HostNames(hosts) {
		checks = append(checks, statecheck.ExpectKnownValue("data.magento_installation."+alias,
			tfjsonpath.New("data_migration_tool_version"), knownvalue.StringExact("2.4.8.1")))
	}
	accTest(t, []resource.TestStep{{Config: config, ConfigStateChecks: checks}})
	b, _ := os.ReadFile(calls)
	for _, cli := range []string{"aws ssm start-session", "aws ec2-instance-connect open-tunnel", "gcloud compute start-iap-tunnel", "tsh proxy ssh"} {
		if !strings.Contains(string(b), cli) {
			t.Errorf("%s was never run; the stand-ins ran:\n%s", cli, b)
		}
	}
}
