package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// absolutePath accepts absolute POSIX paths without control characters.
type absolutePath struct{}

func (absolutePath) Description(context.Context) string {
	return "an absolute path on the host, such as /var/www/magento"
}
func (a absolutePath) MarkdownDescription(ctx context.Context) string { return a.Description(ctx) }

func (absolutePath) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v := req.ConfigValue.ValueString()
	switch {
	case !strings.HasPrefix(v, "/"):
		resp.Diagnostics.AddAttributeError(req.Path, "Relative Path",
			fmt.Sprintf("%q is relative: give the absolute path on the host, such as /var/www/magento.", v))
	case strings.ContainsAny(v, "\x00\n\r"):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Path", "The path contains a newline or NUL character.")
	}
}

// hostValidators reject an empty host or one with whitespace (a pasted "user@host" is
// allowed through to be reported by the connect step).
var hostValidators = []validator.String{
	stringvalidator.LengthAtLeast(1),
	stringvalidator.RegexMatches(regexp.MustCompile(`^[^\s/]+$`), "must be a host name or IP address, without spaces or slashes"),
}

// commandValidators keep php/composer a single word: a command name or a path.
var commandValidators = []validator.String{
	stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9_./+-]+$`),
		"must be a command name or path, such as php, php8.2 or /usr/local/bin/composer"),
}

// relativePath accepts a path inside a directory: relative, no "..", no control characters.
type relativePath struct{}

func (relativePath) Description(context.Context) string {
	return "a path relative to the tool's directory, without .."
}
func (r relativePath) MarkdownDescription(ctx context.Context) string { return r.Description(ctx) }

func (relativePath) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v := req.ConfigValue.ValueString()
	bad := v == "" || strings.HasPrefix(v, "/") || strings.ContainsAny(v, "\x00\n\r")
	for _, part := range strings.Split(v, "/") {
		bad = bad || part == ".."
	}
	if bad {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Preserve Path",
			fmt.Sprintf("%q must be a path relative to vendor/magento/data-migration-tool, such as etc/opensource-to-opensource/1.9.4.5/map.xml, without ..", v))
	}
}
