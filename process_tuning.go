package main

import (
	"os"
	"runtime/debug"
)

// gcPercent: at Go's default (100) a 100-resource plan spent a third of the provider's
// CPU in GC; at 400 it peaks near 75 MiB (make bench).
const gcPercent = 400

// memoryLimit caps what gcPercent lets the heap grow to on large fleets: a 1000-install
// plan allocates 1.8 GB in the framework, and at 400 alone the provider peaked at
// 350-400 MiB; with this soft limit it peaks at 170 MiB, at about the same plan time
// (the live heap is near 60 MiB, so the collector does not thrash; make bench, 1000
// installs).
const memoryLimit = 160 << 20

// tuneProcess prepares the process to serve Terraform (not under -debug, where the
// logs go to the developer's terminal): no logs Terraform would drop, fewer garbage
// collections, a bounded heap. GOGC and GOMEMLIMIT, when set, win.
func tuneProcess() {
	quietLogsTerraformDrops(os.LookupEnv, os.Setenv)
	tuneGC(os.LookupEnv, debug.SetGCPercent, debug.SetMemoryLimit)
}

// tuneGC sets gcPercent and memoryLimit, except where GOGC or GOMEMLIMIT say otherwise.
func tuneGC(lookup func(string) (string, bool), setPercent func(int) int, setLimit func(int64) int64) {
	if _, set := lookup("GOGC"); !set {
		setPercent(gcPercent)
	}
	if _, set := lookup("GOMEMLIMIT"); !set {
		setLimit(memoryLimit)
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
