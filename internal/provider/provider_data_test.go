package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Terraform refreshes two resources at a time here (-parallelism=2), so six shops on
// one host would cost three read commands, a round trip each across a network. The
// host's roots are remembered from the run before: the next plan reads them in two
// commands, the first read's and the read ahead of the others (a session of its own).
func TestAccReadAhead_planReadsTheHostOnce(t *testing.T) {
	r := newRig(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // this test's memory of roots, read by the provider binary
	var shops []string
	for i := range 6 {
		root := r.repo.NewRoot(t, filepath.Join(t.TempDir(), fmt.Sprintf("shop%d", i)), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
		shops = append(shops, fmt.Sprintf("%q", root))
	}
	config := requireProvider + r.providerConfig() + fleetConfig(shops, "")
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.must("apply", "-auto-approve", "-no-color", "-parallelism=2")
	if files, _ := filepath.Glob(filepath.Join(cache, "terraform-provider-magento", "roots", "*.json")); len(files) != 1 {
		t.Fatalf("want the host's roots remembered in one file, found %q", files)
	}

	statsFile := filepath.Join(t.TempDir(), "stats.json")
	w.env = append(w.env, "TF_MAGENTO_STATS_FILE="+statsFile)
	w.must("plan", "-no-color", "-parallelism=2", "-detailed-exitcode") // exit 0: no changes
	var stats remote.StatsSnapshot
	b, err := os.ReadFile(statsFile)
	if err == nil {
		err = json.Unmarshal(b, &stats)
	}
	if err != nil || stats.Commands != 2 {
		t.Fatalf("refreshing 6 shops of one host took %d remote commands, want 2 (%v)", stats.Commands, err)
	}
}

// Two shops planned once; one leaves the configuration (and state), and its
// composer.lock becomes a FIFO (a hung NFS mount: a read blocks). The next plan of the
// other is clean, and the memory forgets the one that left: the plan after reads
// only the shop it asks for.
func TestAccReadAhead_aHangingRememberedRootCostsNothing(t *testing.T) {
	r := newRig(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // this test's memory of roots, read by the provider binary
	kept := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "kept"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	gone := r.repo.NewRoot(t, filepath.Join(t.TempDir(), "gone"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	shopHCL := func(name, root string) string {
		return fmt.Sprintf("\nresource \"magento_data_migration_tool\" %q {\n  host         = \"127.0.0.1\"\n  magento_root = %q\n}\n", name, root)
	}
	w := newCLIWorkspace(t, map[string]string{"main.tf": requireProvider + r.providerConfig() + shopHCL("kept", kept) + shopHCL("gone", gone)})
	w.must("apply", "-auto-approve", "-no-color")

	w.must("state", "rm", "magento_data_migration_tool.gone")
	w.write("main.tf", requireProvider+r.providerConfig()+shopHCL("kept", kept))
	lock := filepath.Join(gone, "composer.lock")
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(lock, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // lets a reader still blocked on the FIFO go
		if f, err := os.OpenFile(lock, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	memory, _ := filepath.Glob(filepath.Join(cache, "terraform-provider-magento", "roots", "*.json"))
	if len(memory) != 1 {
		t.Fatalf("want the host's roots remembered in one file, found %q", memory)
	}
	if b, _ := os.ReadFile(memory[0]); !strings.Contains(string(b), gone) {
		t.Fatalf("the memory does not hold %s: %s", gone, b)
	}

	started := time.Now()
	w.must("plan", "-no-color", "-detailed-exitcode") // exit 0: no changes, no error
	if took := time.Since(started); took > time.Minute {
		t.Fatalf("the plan took %s: it waited for the hanging root", took)
	}
	if b, _ := os.ReadFile(memory[0]); strings.Contains(string(b), gone) || !strings.Contains(string(b), kept) {
		t.Fatalf("after a plan that did not ask for %s, the memory still holds it (or lost %s): %s", gone, kept, b)
	}
}

// overridesOf decodes each distinct ssh block once; blocks that differ in one value,
// or are not known yet, must never share a decoded block.
func TestOverridesOfKeepsBlocksApart(t *testing.T) {
	ctx := context.Background()
	var sch fwresource.SchemaResponse
	(&dataMigrationToolResource{}).Schema(ctx, fwresource.SchemaRequest{}, &sch)
	sshType, ok := sch.Schema.Blocks[attrSSH].Type().(types.ObjectType)
	if !ok {
		t.Fatal("ssh is not an object")
	}
	block := func(port attr.Value, knownHosts string) types.Object {
		attrs := map[string]attr.Value{}
		for name, typ := range sshType.AttrTypes {
			v, err := typ.ValueFromTerraform(ctx, tftypes.NewValue(typ.TerraformType(ctx), nil))
			if err != nil {
				t.Fatal(err)
			}
			attrs[name] = v
		}
		attrs["port"], attrs["known_hosts_file"] = port, types.StringValue(knownHosts)
		obj, d := types.ObjectValue(sshType.AttrTypes, attrs)
		if d.HasError() {
			t.Fatal(d)
		}
		return obj
	}
	d := &providerData{base: defaultSSHConfig()}
	var diags diag.Diagnostics
	for range 2 { // the second round answers from what the first decoded
		for _, tc := range []struct {
			ssh        types.Object
			port       int
			knownHosts string
		}{
			{block(types.Int64Value(2222), "/a"), 2222, "/a"},
			{block(types.Int64Value(2223), "/a"), 2223, "/a"},
			{block(types.Int64Value(2222), "/b"), 2222, "/b"},
		} {
			c, _, known := d.connection(ctx, "web1", tc.ssh, &diags)
			if !known || c.Port != tc.port || c.KnownHostsFile != tc.knownHosts {
				t.Errorf("block %s: known %v, port %d, known_hosts %q", tc.ssh, known, c.Port, c.KnownHostsFile)
			}
		}
	}
	if _, _, known := d.connection(ctx, "web1", block(types.Int64Unknown(), "/a"), &diags); known {
		t.Error("a block with an unknown port was taken for a known one")
	}
	if diags.HasError() {
		t.Fatal(diags)
	}
	if len(d.sshBlocks) != 3 {
		t.Errorf("%d blocks remembered, want the 3 known ones", len(d.sshBlocks))
	}
}

// Six resources on one host, in one provider process, log in once: they share one
// pooled SSH connection.
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

// Two bastion blocks are jumped in the order written: the first forwards to the
// second, the second to the target.
func TestAccInstallation_bastionsAreJumpedInOrder(t *testing.T) {
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
	accTest(t, []resource.TestStep{{
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
	}})
}
