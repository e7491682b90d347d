package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// configure runs the provider's Configure with the given ssh fields and other provider
// arguments (the rest null).
func configure(t *testing.T, ssh, args map[string]tftypes.Value) *provider.ConfigureResponse {
	t.Helper()
	ctx := context.Background()
	p := New("test")()
	var schemaResp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &schemaResp)
	objType, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the provider schema is not an object")
	}
	sshType, ok := objType.AttributeTypes["ssh"].(tftypes.Object)
	if !ok {
		t.Fatal("ssh is not an object")
	}
	sshVals := map[string]tftypes.Value{}
	for name, typ := range sshType.AttributeTypes {
		sshVals[name] = tftypes.NewValue(typ, nil)
	}
	for name, v := range ssh {
		sshVals[name] = v
	}
	vals := map[string]tftypes.Value{"ssh": tftypes.NewValue(sshType, sshVals)}
	for name, typ := range objType.AttributeTypes {
		if v, ok := args[name]; ok {
			vals[name] = v
		} else if name != "ssh" {
			vals[name] = tftypes.NewValue(typ, nil)
		}
	}
	raw := tftypes.NewValue(objType, vals)
	resp := &provider.ConfigureResponse{}
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: raw}}, resp)
	return resp
}

// insecure_ignore_host_key = true reaches the connection settings with exactly one
// warning; false warns of nothing.
func TestConfigureWarnsAboutInsecureHostKeys(t *testing.T) {
	resp := configure(t, map[string]tftypes.Value{"insecure_ignore_host_key": tftypes.NewValue(tftypes.Bool, true)}, nil)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 ||
		resp.Diagnostics.Warnings()[0].Summary() != "Host Key Verification Disabled" {
		t.Fatalf("want exactly the insecure warning, got %v", resp.Diagnostics)
	}
	if d, ok := resp.ResourceData.(*providerData); !ok || !d.base.InsecureIgnoreHostKey {
		t.Fatal("insecure_ignore_host_key did not reach the connection settings")
	}

	quiet := configure(t, map[string]tftypes.Value{"insecure_ignore_host_key": tftypes.NewValue(tftypes.Bool, false)}, nil)
	if len(quiet.Diagnostics) != 0 {
		t.Fatalf("no warning when verification is on, got %v", quiet.Diagnostics)
	}
}

// A pinned host_key with insecure_ignore_host_key = true is refused as a conflict.
func TestConfigureRejectsConflictingHostKeySettings(t *testing.T) {
	resp := configure(t, map[string]tftypes.Value{
		"insecure_ignore_host_key": tftypes.NewValue(tftypes.Bool, true),
		"host_key":                 tftypes.NewValue(tftypes.String, "ssh-ed25519 AAAA"),
	}, nil)
	if !resp.Diagnostics.HasError() || resp.Diagnostics.Errors()[0].Summary() != "Conflicting Host Key Settings" {
		t.Fatalf("want a conflict error, got %v", resp.Diagnostics)
	}
}

// per_host_parallelism defaults to 2 and is at least 1, refused at the attribute.
func TestPerHostParallelismDefaultsToTwoAndIsAtLeastOne(t *testing.T) {
	ctx := context.Background()
	if d, ok := configure(t, nil, nil).ResourceData.(*providerData); !ok || d.composerRuns == nil || d.composerRuns.Limit() != defaultPerHostParallelism {
		t.Fatalf("want %d Composer runs per host by default", defaultPerHostParallelism)
	}
	one := map[string]tftypes.Value{"per_host_parallelism": tftypes.NewValue(tftypes.Number, 1)}
	if d, ok := configure(t, nil, one).ResourceData.(*providerData); !ok || d.composerRuns == nil || d.composerRuns.Limit() != 1 {
		t.Fatal("per_host_parallelism = 1 did not reach the provider's Composer slots")
	}
	var ps provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &ps)
	at := path.Root("per_host_parallelism")
	for value, wantError := range map[int64]bool{0: true, -1: true, 1: false, 4: false} {
		var diags diag.Diagnostics
		for _, v := range ps.Schema.Attributes["per_host_parallelism"].(pschema.Int64Attribute).Validators { //nolint:forcetypeassert // the schema's own type
			var resp validator.Int64Response
			v.ValidateInt64(ctx, validator.Int64Request{Path: at, ConfigValue: types.Int64Value(value)}, &resp)
			diags.Append(resp.Diagnostics...)
		}
		if diags.HasError() != wantError {
			t.Errorf("per_host_parallelism = %d: error %v, want %v (%v)", value, diags.HasError(), wantError, diags)
			continue
		}
		if wantError {
			e, ok := diags.Errors()[0].(diag.DiagnosticWithPath)
			if !ok || !e.Path().Equal(at) || !strings.Contains(e.Detail(), "at least 1") {
				t.Errorf("per_host_parallelism = %d: want an error at the attribute saying at least 1, got %v", value, diags)
			}
		}
	}
}
