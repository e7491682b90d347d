package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// providers are the environments Terraform runs each build of the provider in: this
// revision's, the refresh's floor and, with -before, an earlier revision's (nil
// without). Each reaches Terraform through the bench itself (wrap.go), which records
// the provider's peak memory.
type providers struct {
	env, floor, before []string
}

// buildProviders builds the provider and its floor here, and the before revision's in
// before ("": none), and writes the Terraform CLI configuration that runs them.
func buildProviders(dir, before string) (providers, error) {
	realProvider := filepath.Join(dir, "bin", "real", providerName)
	if out, err := exec.Command("go", "build", "-o", realProvider, ".").CombinedOutput(); err != nil {
		return providers{}, fmt.Errorf("go build: %v\n%s", err, out)
	}
	// The refresh's floor: the same provider with a Read that hands back the prior state
	// (what the plugin framework itself costs); the tag never reaches a release.
	floorProvider := filepath.Join(dir, "bin", "readfloor", providerName)
	if out, err := exec.Command("go", "build", "-tags", "benchfloor", "-o", floorProvider, ".").CombinedOutput(); err != nil {
		return providers{}, fmt.Errorf("go build -tags benchfloor: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return providers{}, err
	}
	wrapDir := filepath.Join(dir, "bin", "wrap")
	if err := os.MkdirAll(wrapDir, 0o755); err != nil {
		return providers{}, err
	}
	if err := os.Symlink(self, filepath.Join(wrapDir, providerName)); err != nil {
		return providers{}, err
	}
	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"magento-ops/magento\" = %q\n  }\n  direct {}\n}\n", wrapDir)), 0o644); err != nil {
		return providers{}, err
	}
	envOf := func(provider string) []string {
		return []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", realEnv + "=" + provider}
	}
	p := providers{env: envOf(realProvider), floor: envOf(floorProvider)}
	if before != "" {
		beforeProvider := filepath.Join(dir, "bin", "before", providerName)
		build := exec.Command("go", "build", "-o", beforeProvider, ".")
		build.Dir = before
		if out, err := build.CombinedOutput(); err != nil {
			return providers{}, fmt.Errorf("go build in %s: %v\n%s", before, err, out)
		}
		p.before = envOf(beforeProvider)
	}
	return p, nil
}
