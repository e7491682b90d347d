package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

var _ resource.ResourceWithIdentity = (*dataMigrationToolResource)(nil)

// identityModel names one installation: a Magento root on a host, reached as a user on
// a port. user and port are null where they are the provider's, so the identity of a
// fleet on one provider block is host and root.
type identityModel struct {
	Host        types.String `tfsdk:"host"`
	MagentoRoot types.String `tfsdk:"magento_root"`
	User        types.String `tfsdk:"user"`
	Port        types.Int64  `tfsdk:"port"`
}

func (r *dataMigrationToolResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{Attributes: map[string]identityschema.Attribute{
		attrHost:        identityschema.StringAttribute{RequiredForImport: true, Description: "Host name or IP address of the Magento server."},
		attrMagentoRoot: identityschema.StringAttribute{RequiredForImport: true, Description: "Absolute path of the Magento root on the host."},
		"user":          identityschema.StringAttribute{OptionalForImport: true, Description: "SSH user, where it is not the provider's."},
		"port":          identityschema.Int64Attribute{OptionalForImport: true, Description: "SSH port, where it is not the provider's."},
	}}
}

// identityFor is the identity of root reached with c; base holds the provider's defaults.
// A port or user from the ssh config file is the host alias's own, so not part of it.
func identityFor(c, base remote.Config, host, root string) identityModel {
	id := identityModel{Host: types.StringValue(host), MagentoRoot: types.StringValue(root), User: types.StringNull(), Port: types.Int64Null()}
	if c.User != base.User && !c.SetByFile("user") {
		id.User = types.StringValue(c.User)
	}
	if c.Port != base.Port && !c.SetByFile("port") {
		id.Port = types.Int64Value(int64(c.Port))
	}
	return id
}

// identity is the identity of m reached with c.
func (m *dataMigrationToolModel) identity(c, base remote.Config) identityModel {
	return identityFor(c, base, m.Host.ValueString(), m.MagentoRoot.ValueString())
}

// setIdentity records id as the resource's identity. It builds the raw value itself:
// Identity.Set reflects over the struct, which on every read of a fleet costs more
// than the read (BenchmarkRead).
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id identityModel, diags *diag.Diagnostics) {
	if identity == nil {
		return // a CLI without resource identity (Terraform < 1.12)
	}
	attrs := map[string]tftypes.Value{}
	for name, v := range map[string]attr.Value{attrHost: id.Host, attrMagentoRoot: id.MagentoRoot, "user": id.User, "port": id.Port} {
		tv, err := v.ToTerraformValue(ctx)
		if err != nil {
			diags.AddError("Resource Identity Not Set", name+": "+err.Error())
			return
		}
		attrs[name] = tv
	}
	typ := identity.Schema.Type().TerraformType(ctx)
	if err := tftypes.ValidateValue(typ, attrs); err != nil { // NewValue would panic
		diags.AddError("Resource Identity Not Set", err.Error())
		return
	}
	identity.Raw = tftypes.NewValue(typ, attrs)
}
