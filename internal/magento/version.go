// Package magento is the domain: reading a Magento installation, the version rules
// that tie the Data Migration Tool to Magento, and the upgrade procedure. It talks to
// hosts only through Runner, so its tests run the real scripts with a local shell
// (LocalRunner); a few (cancellation, sudo) go through a real sshd.
package magento

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DMTVersionPattern is what a Data Migration Tool release looks like: X.Y.Z, or a
// four-part hotfix X.Y.Z.N. There are no -pN releases.
var DMTVersionPattern = regexp.MustCompile(`^\d+\.\d+\.\d+(\.\d+)?$`)

// magentoVersion matches Magento's own versions: 2.4.7, 2.4.7-p3, 2.4.8-beta1, 2.4.6.1.
var magentoVersion = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)(?:\.\d+)?(?:-[0-9A-Za-z.]+)?$`)

// Base is the first three numeric parts of a Magento version: 2.4.7-p3 -> 2.4.7.
func Base(magento string) (string, error) {
	m := magentoVersion.FindStringSubmatch(strings.TrimSpace(magento))
	if m == nil {
		return "", fmt.Errorf("%q is not a Magento release version (like 2.4.7 or 2.4.7-p3)", magento)
	}
	return m[1] + "." + m[2] + "." + m[3], nil
}

// ValidateDMTVersion rejects anything that is not X.Y.Z or X.Y.Z.N.
func ValidateDMTVersion(v string) error {
	if !DMTVersionPattern.MatchString(v) {
		return fmt.Errorf("%q is not a Data Migration Tool version: use X.Y.Z or X.Y.Z.N (for example 2.4.7 or 2.4.8.1); there are no -pN releases", v)
	}
	return nil
}

// dmtBase is the first three parts of a tool version (2.4.8.1 -> 2.4.8).
func dmtBase(v string) string {
	parts := strings.SplitN(v, ".", 4)
	if len(parts) < 3 {
		return v
	}
	return strings.Join(parts[:3], ".")
}

// InSync applies DESIGN.md's version rule. Without a pin, the tool is in sync when its
// first three parts equal Magento's base; with a pin, only when it equals the pin.
func InSync(installed, magento, pin string) (bool, error) {
	if installed == "" {
		return false, nil
	}
	if pin != "" {
		return installed == pin, nil
	}
	base, err := Base(magento)
	if err != nil {
		return false, err
	}
	return dmtBase(installed) == base, nil
}

// CheckPin fails when a pinned version cannot serve this Magento: its first three parts
// must equal Magento's base version.
func CheckPin(pin, magento string) error {
	if err := ValidateDMTVersion(pin); err != nil {
		return err
	}
	base, err := Base(magento)
	if err != nil {
		return err
	}
	if dmtBase(pin) != base {
		return fmt.Errorf("version %s does not match Magento %s: the Data Migration Tool must be %s or a %s.N hotfix",
			pin, magento, base, base)
	}
	return nil
}

// NewestForBase picks the newest release whose first three parts equal base
// (2.4.8.1 over 2.4.8). ok is false when there is none.
func NewestForBase(base string, releases []string) (newest string, ok bool) {
	for _, r := range releases {
		if !DMTVersionPattern.MatchString(r) || dmtBase(r) != base {
			continue
		}
		if !ok || CompareDMT(r, newest) > 0 {
			newest, ok = r, true
		}
	}
	return newest, ok
}

// CompareDMT orders two tool versions numerically; a missing fourth part is 0.
func CompareDMT(a, b string) int {
	pa, pb := numericParts(a), numericParts(b)
	for i := range 4 {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func numericParts(v string) [4]int {
	var out [4]int
	for i, p := range strings.SplitN(v, ".", 4) {
		n, _ := strconv.Atoi(p)
		out[i] = n
	}
	return out
}
