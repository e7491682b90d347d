package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

// The string rules accept good values (and unknown or null ones) and refuse bad ones,
// each with its own summary.
func TestStringRulesRefuseBadValuesWithTheirSummary(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rule    stringRule
		value   types.String
		summary string // "" = accepted
	}{
		{"absolute", absolutePath, types.StringValue("/var/www/magento"), ""},
		{"relative root", absolutePath, types.StringValue("var/www/magento"), "Relative Path"},
		{"newline in root", absolutePath, types.StringValue("/var/www\n/magento"), "Invalid Path"},
		{"unknown root", absolutePath, types.StringUnknown(), ""},
		{"null root", absolutePath, types.StringNull(), ""},
		{"map file", relativePath, types.StringValue("etc/opensource-to-opensource/1.9.4.5/map.xml"), ""},
		{"escaping preserve path", relativePath, types.StringValue("etc/../../composer.json"), "Invalid Preserve Path"},
		{"absolute preserve path", relativePath, types.StringValue("/etc/passwd"), "Invalid Preserve Path"},
		{"empty preserve path", relativePath, types.StringValue(""), "Invalid Preserve Path"},
		{"host", hostWithoutUser, types.StringValue("shop1.example.com"), ""},
		{"user in host", hostWithoutUser, types.StringValue("deploy@shop1.example.com"), "User In Host"},
		{"composer env", notACredential, types.StringValue("COMPOSER_MEMORY_LIMIT"), ""},
		{"composer auth in env", notACredential, types.StringValue("COMPOSER_AUTH"), "Credentials In composer_env"},
		{"github token in env", notACredential, types.StringValue("GITHUB_TOKEN"), "Credentials In composer_env"},
		{"password in env", notACredential, types.StringValue("repo_password"), "Credentials In composer_env"},
		{"duration", durationString, types.StringValue("1m30s"), ""},
		{"bare number", durationString, types.StringValue("30"), "Invalid Duration"},
		{"negative duration", durationString, types.StringValue("-5s"), "Invalid Duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &validator.StringResponse{}
			tc.rule.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: tc.value}, resp)
			got := ""
			if resp.Diagnostics.HasError() {
				got = resp.Diagnostics.Errors()[0].Summary()
			}
			if got != tc.summary {
				t.Fatalf("got %q (%v), want %q", got, resp.Diagnostics, tc.summary)
			}
		})
	}
}

// A trailing slash, // and /./ are dropped; ".." stays (behind a symlink it is not the
// lexical parent).
func TestCanonicalRootDropsSlashesAndDotsButNotDotDot(t *testing.T) {
	for in, want := range map[string]string{
		"/var/www/magento": "/var/www/magento", "/var/www/magento/": "/var/www/magento", "//var//www/./magento/.": "/var/www/magento",
		"/": "/", "//": "/", "/srv/current/../magento": "/srv/current/../magento",
	} {
		if got := magento.CanonicalRoot(in); got != want {
			t.Errorf("CanonicalRoot(%q) = %q, want %q", in, got, want)
		}
		if summary, _ := canonicalRootPath.check(in); (summary == "") != (in == want) {
			t.Errorf("canonicalRootPath(%q): %q", in, summary)
		}
	}
}

// Settings no host can take are refused at plan, before any connection, pointing at
// the fix: a pasted "user@host" at ssh.user, credentials in composer_env (which lives
// in state and on the host's command line) at composer_auth, and parts setup:backup
// does not have at the ones it has.
func TestAccBadSettingsAreRefusedAtPlan(t *testing.T) {
	resourceWith := func(settings string) string {
		return "resource \"magento_data_migration_tool\" \"shop\" {\n  magento_root = \"/var/www/magento\"\n" + settings + "}\n"
	}
	for _, tc := range []struct{ name, settings, want string }{
		{"user in host", "  host = \"deploy@shop1.example.com\"\n",
			`User In Host.*host\s+=\s+"shop1.example.com".*ssh\s+\{\s+user\s+=\s+"deploy"\s+\}`},
		{"credentials in composer_env", "  host = \"127.0.0.1\"\n  composer_env = {\n    COMPOSER_AUTH = \"{\\\"http-basic\\\":{}}\"\n  }\n",
			`Credentials In composer_env.*COMPOSER_AUTH.*composer_auth`},
		{"setup:backup part", "  host = \"127.0.0.1\"\n  backup {\n    magento_setup_backup = [\"code\", \"files\"]\n  }\n",
			`magento_setup_backup.*value must be one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accTest(t, []resource.TestStep{{Config: resourceWith(tc.settings), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)` + tc.want)}})
		})
	}
}

// Composer credentials that are not JSON fail validation at their attribute (the
// provider's composer_auth and a resource's composer_auth_wo alike), without echoing them.
func TestComposerAuthIsValidatedWithoutEchoingIt(t *testing.T) {
	ctx := context.Background()
	var ps provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &ps)
	rs := dataMigrationToolSchema(ctx)
	secret := `{"http-basic": {"repo.magento.com": {"password": "s3cr3t-not-json"`
	for name, attr := range map[string][]validator.String{
		"composer_auth":    ps.Schema.Attributes["composer_auth"].(pschema.StringAttribute).Validators, //nolint:forcetypeassert // the schema's own type
		attrComposerAuthWO: rs.Attributes[attrComposerAuthWO].(rschema.StringAttribute).Validators,     //nolint:forcetypeassert // likewise
	} {
		var diags diag.Diagnostics
		for _, v := range attr {
			var resp validator.StringResponse
			v.ValidateString(ctx, validator.StringRequest{Path: path.Root(name), ConfigValue: types.StringValue(secret)}, &resp)
			diags.Append(resp.Diagnostics...)
		}
		if !diags.HasError() || strings.Contains(diags.Errors()[0].Detail(), "s3cr3t") || diags.Errors()[0].Summary() != "Invalid Composer Auth" {
			t.Errorf("%s: want an Invalid Composer Auth error that does not echo the secret, got %v", name, diags)
		}
	}
}
