package magento

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Package is the Composer name of the Data Migration Tool.
const Package = "magento/data-migration-tool"

// Releases lists the tool's versions that the root's Composer repositories offer
// (repo.magento.com in production), newest first as Composer prints them.
func Releases(ctx context.Context, r Runner, e Exec, root string) ([]string, error) {
	script := "IFS= read -r auth\n" + assign("package", Package) + e.composerFunction(root) + releasesBody
	stdin, err := e.stdin()
	if err != nil {
		return nil, err
	}
	res, err := r.Run(ctx, "composer show --all "+Package, script, stdin)
	if err != nil {
		return nil, fmt.Errorf("listing %s releases: %w%s", Package, err, causeHint(err))
	}
	// Composer may print warnings before the JSON document.
	out := string(res.Stdout)
	if i := strings.Index(out, "{"); i > 0 {
		out = out[i:]
	}
	var show struct {
		Versions []string `json:"versions"`
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil {
		return nil, fmt.Errorf("composer show %s printed no release list (%v); it printed: %.300s", Package, err, strings.TrimSpace(string(res.Stdout)))
	}
	return show.Versions, nil
}

// ResolveTarget picks the exact version to install: the pin, or the newest release for
// Magento's base version. It fails, naming what exists, when there is no such release.
func ResolveTarget(magentoVersion, pin string, releases []string) (string, error) {
	base, err := Base(magentoVersion)
	if err != nil {
		return "", err
	}
	var forBase []string
	for _, r := range releases {
		if DMTVersionPattern.MatchString(r) && dmtBase(r) == base {
			forBase = append(forBase, r)
		}
	}
	if pin != "" {
		if err := CheckPin(pin, magentoVersion); err != nil {
			return "", err
		}
		for _, r := range forBase {
			if r == pin {
				return pin, nil
			}
		}
		return "", fmt.Errorf("%s %s is not released; releases for Magento %s: %s", Package, pin, base, listOrNone(forBase))
	}
	newest, ok := NewestForBase(base, releases)
	if !ok {
		return "", &MissingReleaseError{Magento: magentoVersion, Base: base, Newest: newestFirst(releases, 8)}
	}
	return newest, nil
}

// MissingReleaseError says that upstream has no tool release for Magento's version yet
// (Magento 2.4.9 in 2026): a shop waits for it, it is not broken.
type MissingReleaseError struct {
	Magento, Base string
	Newest        []string // newest releases that do exist
}

func (e *MissingReleaseError) Error() string {
	return fmt.Sprintf("no %s release exists for Magento %s yet (Magento %s); available releases: %s",
		Package, e.Base, e.Magento, listOrNone(e.Newest))
}

func listOrNone(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}

// newestFirst returns at most n plain releases, newest first.
func newestFirst(releases []string, n int) []string {
	var out []string
	for _, r := range releases {
		if DMTVersionPattern.MatchString(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return CompareDMT(b, a) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
