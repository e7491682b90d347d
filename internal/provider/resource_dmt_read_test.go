package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// overridesOf decodes each distinct ssh block once; blocks that differ in one value,
// or are not known yet, must never share a decoded block.
func TestOverridesOfKeepsBlocksApart(t *testing.T) {
	ctx := context.Background()
	var sch resource.SchemaResponse
	(&dataMigrationToolResource{}).Schema(ctx, resource.SchemaRequest{}, &sch)
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

// setIdentity builds the identity's raw value by hand; it must be what the framework's
// Identity.Set makes of the same model, nulls included.
func TestSetIdentityMatchesTheFramework(t *testing.T) {
	ctx := context.Background()
	var sch resource.IdentitySchemaResponse
	(&dataMigrationToolResource{}).IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &sch)
	for _, id := range []identityModel{
		{Host: types.StringValue("web1"), MagentoRoot: types.StringValue("/var/www/shop"), User: types.StringNull(), Port: types.Int64Null()},
		{Host: types.StringValue("web1"), MagentoRoot: types.StringValue("/var/www/shop"), User: types.StringValue("deploy"), Port: types.Int64Value(2222)},
	} {
		null := tftypes.NewValue(sch.IdentitySchema.Type().TerraformType(ctx), nil)
		want := tfsdk.ResourceIdentity{Schema: sch.IdentitySchema, Raw: null}
		if d := want.Set(ctx, id); d.HasError() {
			t.Fatal(d)
		}
		got := tfsdk.ResourceIdentity{Schema: sch.IdentitySchema, Raw: null}
		var diags diag.Diagnostics
		if setIdentity(ctx, &got, id, &diags); diags.HasError() {
			t.Fatal(diags)
		}
		if !got.Raw.Equal(want.Raw) {
			t.Errorf("setIdentity made %s, Identity.Set %s", got.Raw, want.Raw)
		}
	}
}

// Read hands back the prior state itself when the host says what it holds, and a value
// differing in exactly the attributes that changed when it does not.
func TestPriorStateWithChangesOnlyWhatDiffers(t *testing.T) {
	ctx := context.Background()
	var sch resource.SchemaResponse
	(&dataMigrationToolResource{}).Schema(ctx, resource.SchemaRequest{}, &sch)
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
