package provider

import (
	"context"
	"regexp"
	"testing"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Read hands back the prior state itself when the host says what it holds, and a value
// differing in exactly the attributes that changed when it does not.
func TestPriorStateWithChangesOnlyWhatDiffers(t *testing.T) {
	ctx := context.Background()
	var sch fwresource.SchemaResponse
	(&dataMigrationToolResource{}).Schema(ctx, fwresource.SchemaRequest{}, &sch)
	prior, err := priorStateOf(ctx, tfsdk.State{Schema: sch.Schema, Raw: fleetState(ctx, t, sch, "/var/www/shop")})
	if err != nil {
		t.Fatal(err)
	}
	if prior.host != "127.0.0.1" || prior.root != "/var/www/shop" || prior.runAs != "" || prior.ssh.IsNull() {
		t.Fatalf("decoded host %q, root %q, run_as %q, ssh %s", prior.host, prior.root, prior.runAs, prior.ssh)
	}
	same := prior.with(map[string]string{attrVersion: "2.4.7", attrMagentoVersion: "2.4.7-p3"})
	if !same.Equal(prior.raw) {
		t.Errorf("nothing changed, yet the state did: %s", same)
	}
	changed := prior.with(map[string]string{attrVersion: "2.4.6", attrMagentoVersion: "2.4.7-p3"})
	var attrs map[string]tftypes.Value
	if err := changed.As(&attrs); err != nil {
		t.Fatal(err)
	}
	for name, v := range attrs {
		want := prior.attrs[name]
		if name == attrVersion {
			want = tftypes.NewValue(tftypes.String, "2.4.6")
		}
		if !v.Equal(want) {
			t.Errorf("%s: got %s, want %s", name, v, want)
		}
	}
	if v := prior.attrs[attrVersion]; !v.Equal(tftypes.NewValue(tftypes.String, "2.4.7")) {
		t.Errorf("the prior state was changed in place: version %s", v)
	}
}

// A host that is down fails the plan once connect_timeout is spent, and the resource
// stays in state; a tool removed by hand is gone from state, and the plan creates it
// again.
func TestAccDataMigrationTool_hostDownKeepsStateAndARemovedToolIsCreatedAgain(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	// A short connect_timeout: a down host is retried until it is spent.
	config := r.dmtConfig(root, `  ssh {
    connect_timeout = "2s"
  }`)
	accTest(t, []resource.TestStep{
		{Config: config},
		{
			// The host is down: the plan fails once connect_timeout is spent on retries,
			// and the resource stays in state.
			PreConfig:   func() { r.sshd.Stop() },
			Config:      config,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`SSH Connection Failed(.|\n)*connection\s+refused(.|\n)*gave\s+up\s+after`),
		},
		{
			PreConfig: func() { r.sshd.Start(t) },
			Config:    config,
			PlanOnly:  true, // an empty plan: the state survived the failed refresh
		},
		{
			// The tool is removed by hand: the plan creates it again.
			PreConfig: func() { r.composer(t, root, "remove", "magento/data-migration-tool") },
			Config:    config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(shop, plancheck.ResourceActionCreate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{expect("version", knownvalue.StringExact("2.4.7"))},
		},
	})
}
