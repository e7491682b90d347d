package provider

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// importID is a parsed ssh://user@host:port/magento/root.
type importID struct {
	user, host, root string
	port             int
}

func parseImportID(id string) (importID, error) {
	u, err := url.Parse(id)
	if err != nil || u.Scheme != "ssh" || u.Hostname() == "" || !strings.HasPrefix(u.Path, "/") || u.RawQuery != "" || u.Fragment != "" {
		return importID{}, fmt.Errorf("%q is not an import ID: use ssh://user@host:port/path/to/magento, for example ssh://magento@shop1.example.com:22/var/www/magento "+
			"(percent-encode a %% as %%25, # as %%23 and ? as %%3F in the path; the resource's id attribute shows the form)", id)
	}
	out := importID{host: u.Hostname(), root: magento.CanonicalRoot(u.Path)}
	if u.User != nil {
		out.user = u.User.Username()
	}
	if p := u.Port(); p != "" {
		if out.port, err = strconv.Atoi(p); err != nil || out.port < 1 || out.port > 65535 {
			return importID{}, fmt.Errorf("port %q in import ID %q is not a TCP port", p, id)
		}
	}
	return out, nil
}

// importIDFromIdentity is the importID an import block's identity names.
func importIDFromIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) (importID, bool) {
	var m identityModel
	if diags.Append(identity.Get(ctx, &m)...); diags.HasError() {
		return importID{}, false
	}
	id := importID{host: m.Host.ValueString(), root: m.MagentoRoot.ValueString(), user: m.User.ValueString(), port: int(m.Port.ValueInt64())}
	if strings.HasPrefix(id.root, "/") {
		id.root = magento.CanonicalRoot(id.root)
	}
	for _, problem := range []struct {
		bad        bool
		attr, what string
	}{
		{id.host == "", "host", "must name the host"},
		{!strings.HasPrefix(id.root, "/"), "magento_root", "must be the absolute path of the Magento root"},
		{!m.Port.IsNull() && (id.port < 1 || id.port > 65535), "port", "must be a TCP port (1-65535)"},
	} {
		if problem.bad {
			diags.AddAttributeError(path.Root(problem.attr), "Invalid Import Identity", fmt.Sprintf("identity.%s %s.", problem.attr, problem.what))
			return importID{}, false
		}
	}
	return id, true
}

// ImportState takes an import ID (ssh://user@host:port/root) or, on Terraform 1.12 and
// later, an identity { host, magento_root, user, port }. It sets host and magento_root,
// and ssh.user / ssh.port only where they differ from the provider's defaults, so the
// read that follows reaches the host. The schema defaults are set too, so a
// configuration with only host and magento_root plans no changes after the import.
func (r *dataMigrationToolResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	var id importID
	if req.ID == "" && req.Identity != nil {
		var ok bool
		if id, ok = importIDFromIdentity(ctx, req.Identity, &resp.Diagnostics); !ok {
			return
		}
	} else {
		var err error
		if id, err = parseImportID(req.ID); err != nil {
			resp.Diagnostics.AddError("Invalid Import ID", err.Error())
			return
		}
	}
	for attr, v := range map[string]any{
		attrHost: id.host, attrMagentoRoot: id.root, attrPHP: "php", attrComposer: "composer", attrRemoveOnDestroy: true, attrCarryCustomFiles: true, attrOnMissingRelease: missingReleaseWarn,
	} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attr), v)...)
	}
	override := sshOverrideModel{Bastions: []bastionModel{}} // a list of blocks is empty, never null
	differs := false
	// The defaults for this host: the provider's, resolved through its ssh config_file,
	// so a port or user that comes from the file is no override.
	var defaults remote.Config
	if r.data != nil {
		defaults = r.data.base
		if c, err := r.data.config(id.host, nil); err == nil {
			defaults = c
		}
	}
	if id.user != "" && (r.data == nil || id.user != defaults.User) {
		override.User, differs = types.StringValue(id.user), true
	}
	if id.port != 0 && (r.data == nil || id.port != defaults.Port) {
		override.Port, differs = types.Int64Value(int64(id.port)), true
	}
	if differs {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attrSSH), &override)...)
	}
}
