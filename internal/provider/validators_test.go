package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

func TestStringRules(t *testing.T) {
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
func TestCanonicalRoot(t *testing.T) {
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
