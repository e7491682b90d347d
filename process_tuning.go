package main

import (
	"os"
	"runtime/debug"
)

// gcPercent: at Go's default (100) a 100-resource plan spent a third of the provider's
// CPU in GC; at 400 it peaks near 75 MiB (make bench).
const gcPercent = 400

// tuneProcess prepares the process to serve Terraform (not under -debug, where the
// logs go to the developer's terminal): no logs Terraform would drop, fewer garbage
// collections. GOGC, when set, wins.
func tuneProcess() {
	quietLogsTerraformDrops(os.LookupEnv, os.Setenv)
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// sdkLogLevels set the provider-side log levels of terraform-plugin-go, the framework
// and this provider. Unset, each is TRACE: every line is rendered and sent to
// Terraform, which without TF_LOG or TF_LOG_PROVIDER drops it (a quarter of the
// provider's CPU in a plan, make bench).
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
