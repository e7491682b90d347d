package provider

import (
	"slices"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// The roots read on a host are remembered across processes (runs), newest first, per
// host and user.
func TestRootMemoryAcrossRuns(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	web1 := rootMemoryFile(remote.Config{Host: "web1", Port: 22, User: "deploy"}, "")
	asMagento := rootMemoryFile(remote.Config{Host: "web1", Port: 22, User: "deploy"}, "magento")
	first := &rootMemory{}
	first.note(web1, "/var/www/a")
	first.note(web1, "/var/www/b")
	first.note(asMagento, "/var/www/c")

	next := &rootMemory{} // the next run's provider process
	if got := next.recall(web1); !slices.Equal(got, []string{"/var/www/b", "/var/www/a"}) {
		t.Fatalf("recalled %q, want b then a", got)
	}
	if got := next.recall(asMagento); !slices.Equal(got, []string{"/var/www/c"}) {
		t.Fatalf("recalled %q for run_as magento, want only c", got)
	}
}
