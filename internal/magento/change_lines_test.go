package magento

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The apply's scripts print only the kinds of line that changeLines (to Go) and
// ownerLines (to the script on the host) name, so the parser and the scripts agree.
func TestApplyScriptsPrintOnlyTheirProtocol(t *testing.T) {
	kind := regexp.MustCompile(`(?:say "|printf '|refuse "|sed 's/\^/)(@[a-z_-]+)`)
	for _, name := range []string{"apply_owner.sh", "apply_lock.sh", "apply_archive.sh", "apply_restore.sh", "apply_slots.sh", "owner_tasks.sh", "change.sh"} {
		b, err := os.ReadFile(filepath.Join(".", name))
		if err != nil {
			t.Fatal(err)
		}
		found := kind.FindAllStringSubmatch(string(b), -1)
		if len(found) == 0 {
			t.Errorf("%s prints no @ line the test can see: the pattern no longer matches how it prints", name)
		}
		for _, m := range found {
			_, toGo := changeLines[m[1]]
			_, onHost := ownerLines[m[1]]
			if !toGo && !onHost && m[1] != "@differs" {
				t.Errorf("%s prints %s, which neither changeLines nor ownerLines names", name, m[1])
			}
		}
	}
	// refuse "STEP ..." prints "@fail STEP": refuse itself is the @fail line.
	for kind := range changeLines {
		if kind == "" || kind[0] != '@' {
			t.Errorf("bad kind %q", kind)
		}
	}
}
