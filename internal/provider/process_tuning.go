package provider

import (
	"os"
	"runtime/debug"
)

// gcPercent trades memory for CPU: the framework allocates heavily per request around a
// small live heap, so with Go's default (100) a plan over 100 resources spent about a
// third of the provider's CPU collecting garbage. At 400 the provider peaks near 75 MiB
// there.
const gcPercent = 400

// TuneProcess prepares the provider process to serve Terraform: it stops producing
// logs Terraform would drop, and collects garbage less often. GOGC, when set, wins.
func TuneProcess() {
	quietLogsTerraformDrops(os.LookupEnv, os.Setenv)
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// sdkLogLevels are the variables that set the provider-side log levels of
// terraform-plugin-go, the framework and this provider. Unset, each defaults to TRACE:
// every line is rendered as JSON and sent to Terraform, which parses and, without
// TF_LOG or TF_LOG_PROVIDER, drops it (a quarter of the provider's CPU in a plan).
var sdkLogLevels = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_MAGENTO"}

// quietLogsTerraformDrops turns the provider-side levels off when Terraform shows no
// provider logs. Levels the user set are kept.
func quietLogsTerraformDrops(lookup func(string) (string, bool), set func(string, string) error) {
	for _, shown := range []string{"TF_LOG", "TF_LOG_PROVIDER"} {
		if v, ok := lookup(shown); ok && v != "" {
			return
		}
	}
	for _, name := range sdkLogLevels {
		if _, ok := lookup(name); !ok {
			_ = set(name, "off")
		}
	}
}
