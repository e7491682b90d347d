package magento

import (
	"strings"
	"testing"
)

// Base is the X.Y.Z of a Magento release (-pN and pre-release suffixes dropped);
// branches and anything else are refused.
func TestBaseDropsThePatchAndRefusesNonReleases(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"2.4.7-p3", "2.4.7", ""},
		{"2.4.7", "2.4.7", ""},
		{"2.4.6-p4", "2.4.6", ""},
		{"2.4.8-beta1", "2.4.8", ""},
		{"2.3.7-p4", "2.3.7", ""},
		{" 2.4.7 ", "2.4.7", ""},
		{"2.4", "", "not a Magento release"},
		{"2.4-develop", "", "not a Magento release"},
		{"dev-2.4-develop", "", "not a Magento release"},
		{"", "", "not a Magento release"},
		{"2.4.7-p3; rm -rf /", "", "not a Magento release"},
	} {
		got, err := Base(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Base(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Base(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// Unpinned, a tool is in sync with its base release or a hotfix of it; pinned, only the
// exact pin is.
func TestInSyncMatchesTheBaseUnlessPinnedExactly(t *testing.T) {
	for _, tc := range []struct {
		installed, magento, pin string
		want                    bool
	}{
		{"2.4.7", "2.4.7-p3", "", true},
		{"2.4.7.1", "2.4.7-p3", "", true},
		{"2.4.6", "2.4.7-p3", "", false},
		{"2.4.6.1", "2.4.6-p4", "", true},
		{"2.4.6", "2.4.6-p4", "", true},
		{"2.4.8", "2.4.8", "2.4.8.1", false},
		{"2.4.8.1", "2.4.8", "2.4.8", false}, // a pin is exact
		{"2.4.8.1", "2.4.8", "2.4.8.1", true},
		{"", "2.4.8", "", false},
		{"2.4.70", "2.4.7", "", false},
	} {
		got, err := InSync(tc.installed, tc.magento, tc.pin)
		if err != nil || got != tc.want {
			t.Errorf("InSync(%q, %q, %q) = %v, %v; want %v", tc.installed, tc.magento, tc.pin, got, err, tc.want)
		}
	}
	if _, err := InSync("2.4.7", "garbage", ""); err == nil {
		t.Error("InSync with a malformed Magento version must fail")
	}
}

// Only X.Y.Z and X.Y.Z.N are tool versions: no -pN, prefix, range or whitespace.
func TestValidateDMTVersionAcceptsOnlyReleaseNumbers(t *testing.T) {
	for v, ok := range map[string]bool{
		"2.4.7": true, "2.4.8.1": true, "10.20.30": true,
		"2.4.7-p3": false, "2.4": false, "2.4.7.1.2": false, "v2.4.7": false, "": false,
		"2.4.7 ": false, "2.4.7\n": false, "^2.4": false, "2.4.*": false,
	} {
		if err := ValidateDMTVersion(v); (err == nil) != ok {
			t.Errorf("ValidateDMTVersion(%q) = %v, want ok=%v", v, err, ok)
		}
	}
}

// A pin must be a release for Magento's base version (a mismatch names both), never a
// -pN version.
func TestCheckPinMatchesMagentosBaseAndNamesBoth(t *testing.T) {
	if err := CheckPin("2.4.8.1", "2.4.8"); err != nil {
		t.Errorf("hotfix pin for its base: %v", err)
	}
	err := CheckPin("2.4.6", "2.4.7-p3")
	if err == nil || !strings.Contains(err.Error(), "2.4.6") || !strings.Contains(err.Error(), "2.4.7-p3") {
		t.Errorf("mismatched pin must name both versions, got %v", err)
	}
	if err := CheckPin("2.4.7-p3", "2.4.7-p3"); err == nil {
		t.Error("a -pN pin must be rejected")
	}
}

// The newest release for a base compares hotfixes as numbers (2.4.8.10 over 2.4.8.1)
// and ignores other bases.
func TestNewestForBaseTakesTheHighestHotfix(t *testing.T) {
	releases := []string{"2.4.6", "2.4.6.1", "2.4.7", "2.4.8", "2.4.8.1", "2.4.8.10", "2.4.80", "garbage"}
	for _, tc := range []struct {
		base, want string
		ok         bool
	}{
		{"2.4.8", "2.4.8.10", true},
		{"2.4.6", "2.4.6.1", true},
		{"2.4.7", "2.4.7", true},
		{"2.4.9", "", false},
	} {
		got, ok := NewestForBase(tc.base, releases)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NewestForBase(%q) = %q, %v; want %q, %v", tc.base, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzBase(f *testing.F) {
	for _, s := range []string{"2.4.7-p3", "2.4.7", "2.4", "", "2.4.7.1-p1", "9999999999999999999.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		base, err := Base(in)
		if err != nil {
			return
		}
		// A base is always a valid three-part tool version and a prefix of the input.
		if !DMTVersionPattern.MatchString(base) || strings.Count(base, ".") != 2 {
			t.Fatalf("Base(%q) = %q is not X.Y.Z", in, base)
		}
		if !strings.HasPrefix(strings.TrimPrefix(strings.TrimSpace(in), "v"), base) {
			t.Fatalf("Base(%q) = %q is not a prefix", in, base)
		}
	})
}
