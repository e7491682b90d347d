package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

// stringRule is a string validator made of a description and a check that returns
// the error's summary and detail, or "" when the value is fine. Null and unknown
// values are not checked.
type stringRule struct {
	description string
	check       func(v string) (summary, detail string)
}

func (r stringRule) Description(context.Context) string             { return r.description }
func (r stringRule) MarkdownDescription(ctx context.Context) string { return r.Description(ctx) }

func (r stringRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if summary, detail := r.check(req.ConfigValue.ValueString()); summary != "" {
		resp.Diagnostics.AddAttributeError(req.Path, summary, detail)
	}
}

// absolutePath accepts absolute POSIX paths without control characters.
var absolutePath = stringRule{"an absolute path on the host, such as /var/www/magento", func(v string) (string, string) {
	switch {
	case !strings.HasPrefix(v, "/"):
		return "Relative Path", fmt.Sprintf("%q is relative: give the absolute path on the host, such as /var/www/magento.", v)
	case strings.ContainsAny(v, "\x00\n\r"):
		return "Invalid Path", "The path contains a newline or NUL character."
	}
	return "", ""
}}

// canonicalRootPath accepts what absolutePath accepts, in canonical form: a root is
// the resource's identity (id, import ID, identity, lock and archive names), so
// /var/www/magento/ must not be a second name for /var/www/magento.
var canonicalRootPath = stringRule{"an absolute path on the host in canonical form (no trailing slash, `//` or `/./`), such as /var/www/magento", func(v string) (string, string) {
	if summary, detail := absolutePath.check(v); summary != "" {
		return summary, detail
	}
	if c := magento.CanonicalRoot(v); c != v {
		return "Non-Canonical Path", fmt.Sprintf("%q names the same directory as %q, which is the form the resource's id, identity and import use: write %q "+
			"(no trailing slash, // or /./).", v, c, c)
	}
	return "", ""
}}

// hostValidators reject an empty host, one with whitespace or slashes, and a pasted
// "user@host", whose user belongs in the ssh block.
var hostValidators = []validator.String{
	stringvalidator.LengthAtLeast(1),
	stringvalidator.RegexMatches(regexp.MustCompile(`^[^\s/]+$`), "must be a host name or IP address, without spaces or slashes"),
	hostWithoutUser,
}

var hostWithoutUser = stringRule{"a host name or IP address, without a user", func(v string) (string, string) {
	user, host, found := strings.Cut(v, "@")
	if !found {
		return "", ""
	}
	return "User In Host", fmt.Sprintf("host = %q names a login user. Set host = %q and give the user in the ssh block: ssh { user = %q }.", v, host, user)
}}

// notACredential refuses composer_env keys that carry credentials: composer_env is
// stored in state and placed on the host's command line.
var notACredential = stringRule{"not a credential variable (COMPOSER_AUTH, *_TOKEN, *_PASSWORD)", func(k string) (string, string) {
	upper := strings.ToUpper(k)
	if strings.HasPrefix(upper, "COMPOSER_AUTH") || strings.HasSuffix(upper, "_TOKEN") || strings.HasSuffix(upper, "_PASSWORD") {
		return "Credentials In composer_env", fmt.Sprintf("composer_env is stored in state and reaches the host's command line, so %s must not be set there. "+
			"Put repository credentials in the provider's composer_auth (JSON for COMPOSER_AUTH, sent on the SSH session's standard input).", k)
	}
	return "", ""
}}

// composerAuthJSON accepts what COMPOSER_AUTH accepts: JSON. The value is never
// echoed: it holds repository credentials.
var composerAuthJSON = stringRule{"JSON for COMPOSER_AUTH", func(v string) (string, string) {
	if json.Valid([]byte(v)) {
		return "", ""
	}
	return "Invalid Composer Auth", "The value must be JSON as COMPOSER_AUTH expects, for example " +
		`{"http-basic":{"repo.magento.com":{"username":"<public key>","password":"<private key>"}}}. It is not shown here: it holds credentials.`
}}

// runAsValidators accept a POSIX user name for sudo -n -u.
var runAsValidators = []validator.String{stringvalidator.RegexMatches(magento.UserPattern, "must be a user name such as magento or www-data")}

// commandValidators keep php/composer a single word: a command name or a path.
var commandValidators = []validator.String{
	stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9_./+-]+$`),
		"must be a command name or path, such as php, php8.2 or /usr/local/bin/composer"),
}

// relativePath accepts a path inside a directory: relative, no "..", no control characters.
var relativePath = stringRule{"a path relative to the tool's directory, without ..", func(v string) (string, string) {
	bad := v == "" || strings.HasPrefix(v, "/") || strings.ContainsAny(v, "\x00\n\r")
	for _, part := range strings.Split(v, "/") {
		bad = bad || part == ".."
	}
	if !bad {
		return "", ""
	}
	return "Invalid Preserve Path",
		fmt.Sprintf("%q must be a path relative to vendor/magento/data-migration-tool, such as etc/opensource-to-opensource/1.9.4.5/map.xml, without ..", v)
}}

// durationString accepts Go durations such as "30s" or "1m30s".
var durationString = stringRule{"a Go duration such as `30s` or `1m30s`", func(v string) (string, string) {
	if d, err := time.ParseDuration(v); err != nil || d < 0 {
		return "Invalid Duration", fmt.Sprintf("%q is not a duration: use a Go duration such as 30s or 1m30s.", v)
	}
	return "", ""
}}
