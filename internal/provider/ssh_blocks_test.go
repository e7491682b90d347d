package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
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
