package provider

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// The host moved to another SSH port: the id (ssh://user@host:port/root) follows the
// connection. In the same apply as an upgrade the plan shows the new id and the apply
// keeps to it (it failed with "Provider produced inconsistent result after apply:
// .id"); a change of the port alone is an update that runs nothing on the host.
func TestAccDataMigrationTool_idFollowsTheConnection(t *testing.T) {
	second := freeTCPPort(t)
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{"Port " + strconv.Itoa(second)}})
	knownHosts, err := os.OpenFile(r.sshd.KnownHosts, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = fmt.Fprintf(knownHosts, "[127.0.0.1]:%d %s\n", second, r.sshd.HostKeyLine)
		err = errors.Join(err, knownHosts.Close())
	}
	if err != nil {
		t.Fatal(err)
	}
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	at := func(port int) string {
		return r.dmtConfig(root, fmt.Sprintf("  ssh {\n    port = %d\n  }", port))
	}
	idAt := func(port int) string { return fmt.Sprintf("ssh://root@127.0.0.1:%d%s", port, root) }
	watched := append([]string{"var"}, guardedPaths...) // var/ holds the backups
	var before map[string]string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: at(r.sshd.Port), ConfigStateChecks: []statecheck.StateCheck{expect("id", knownvalue.StringExact(idAt(r.sshd.Port)))}},
			{
				// Upgrade and move in one apply.
				PreConfig: func() { r.composer(t, root, "require", "magento/data-migration-tool:2.4.6") },
				Config:    at(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("id"), knownvalue.StringExact(idAt(second))),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("version"), knownvalue.StringExact("2.4.7")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expect("id", knownvalue.StringExact(idAt(second))), expect("version", knownvalue.StringExact("2.4.7"))},
			},
			{
				// Back to the first port, nothing else: an update of the id only.
				PreConfig: func() { before = testenv.Digest(t, root, watched...) },
				Config:    at(r.sshd.Port),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(shop, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(shop, tfjsonpath.New("id"), knownvalue.StringExact(idAt(r.sshd.Port))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expect("id", knownvalue.StringExact(idAt(r.sshd.Port)))},
				Check: func(*terraformState) error {
					if diff := testenv.DiffDigests(before, testenv.Digest(t, root, watched...)); diff != "" {
						return fmt.Errorf("a change of the port alone changed the host:\n%s", diff)
					}
					return nil
				},
			},
		},
	})
}

// freeTCPPort is a port nothing listens on at the moment.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("listening on %v", l.Addr())
	}
	return addr.Port
}
