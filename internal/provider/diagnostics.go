package provider

import (
	"context"
	"errors"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// addError turns a domain or transport error into one diagnostic, with a summary that
// names the kind of failure and the detail saying what happened and what to do.
// fallback is the summary for errors of no known kind.
func addError(diags *diag.Diagnostics, err error, fallback string) {
	var (
		hostKey *remote.HostKeyError
		install *magento.InstallError
		exit    *shell.ExitError
		change  *magento.ChangeError
		stale   *magento.StalePlanError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		diags.AddError("Operation Timed Out", err.Error()+
			"\n\nRaise the resource's timeouts (create, update, delete) if the host is slow; Composer on a large shop can take minutes.")
	case errors.Is(err, context.Canceled):
		diags.AddError("Operation Cancelled", err.Error())
	case errors.As(err, &hostKey):
		diags.AddError("Untrusted SSH Host Key", err.Error())
	case errors.As(err, &install):
		summary := "Not a Magento Installation"
		switch install.Kind {
		case magento.ErrRootMissing:
			summary = "Magento Root Not Found"
		case magento.ErrUnreadable:
			summary = "Magento Files Unreadable"
		}
		diags.AddAttributeError(path.Root(attrMagentoRoot), summary, err.Error())
	case errors.As(err, &stale):
		diags.AddError("Host Changed Since the Plan", err.Error())
	case errors.As(err, &change):
		diags.AddError(fallback, err.Error())
	case errors.As(err, &exit):
		diags.AddError("Remote Command Failed", err.Error())
	default:
		diags.AddError(fallback, err.Error())
	}
}
