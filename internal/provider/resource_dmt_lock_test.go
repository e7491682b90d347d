package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Several web nodes share one root: a lock held by another host is never taken over,
// whether or not a process with its PID exists here. The apply fails before touching
// anything, naming the holder and the command that clears the lock.
func TestAccDataMigrationTool_lockOfAnotherHost(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	// PID 1 exists on every host: a PID check would call this holder alive or dead by chance.
	lock := leaveLock(t, root, map[string]string{"owner": "1 web2.shop.internal 2026-11-26T03:00:00Z\n"})
	before := testenv.Digest(t, root, guardedPaths...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: r.dmtConfig(root, ""),
			ExpectError: regexp.MustCompile(`(?s)locked\s+by\s+an\s+apply\s+on\s+another\s+host:\s+1\s+web2\.shop\.internal\s+2026-11-26T03:00:00Z` +
				`.*never\s+taken\s+over.*rm\s+-rf\s+'` + regexp.QuoteMeta(lock) + `'`),
		}},
	})
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Errorf("files changed:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(lock, "owner")); err != nil {
		t.Error("the other host's lock was removed")
	}
}

// A timeout that arrives while the apply restores its backup cannot cut the restore
// short: the files end byte for byte as before, and the error says they were restored.
func TestAccDataMigrationTool_timeoutDuringRestore(t *testing.T) {
	realTar, err := exec.LookPath("tar")
	if err != nil {
		t.Fatal(err)
	}
	shims, sync := t.TempDir(), t.TempDir()
	hit, goOn := filepath.Join(sync, "hit"), filepath.Join(sync, "go-on")
	// The host's tar pauses in the restore (an extraction of the whole archive) until
	// the test lets it go, after the timeout has passed.
	shim := "#!/bin/sh\nif [ \"$1\" = -xzof ] && [ $# -eq 4 ]; then touch " + hit + "; i=0; while [ ! -e " + goOn +
		" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; fi\nexec " + realTar + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shims, "tar"), []byte(shim), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
	r := newRigWith(t, testenv.SSHDOptions{ExtraConfig: []string{"SetEnv PATH=" + shims + ":/usr/local/bin:/usr/bin:/bin"}})
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	failing := filepath.Join(t.TempDir(), "composer-fails")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\n[ \"$1\" = require ] || exec composer \"$@\"\ncomposer \"$@\"\necho 'Installation failed, reverting'\nexit 1\n"), 0o755); err != nil { //nolint:gosec // a test wrapper
		t.Fatal(err)
	}
	before := testenv.Digest(t, root, guardedPaths...)
	go func() {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, err := os.Stat(hit); err == nil {
				time.Sleep(8 * time.Second) // past the 6 s timeout: its TERM reaches the restore
				break
			}
		}
		_ = os.WriteFile(goOn, nil, 0o600)
	}()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      r.dmtConfig(root, fmt.Sprintf("  composer = %q\n  timeouts {\n    create = \"6s\"\n  }", failing)),
			ExpectError: regexp.MustCompile(`(?s)Operation Timed Out.*were\s+restored\s+from`),
		}},
	})
	if _, err := os.Stat(hit); err != nil {
		t.Fatal("the apply never reached its restore")
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Fatalf("not byte for byte as before:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(root, "var", ".tf-magento-dmt.lock")); !os.IsNotExist(err) {
		t.Fatal("the lock was not released after the restore")
	}
}

// A lock in var/ holding a restore marker (an earlier version's, or one the web user
// planted, naming any archive) is never restored from: the apply is refused, and the
// planted files never land in the root.
func TestAccDataMigrationTool_plantedRestoreMarker(t *testing.T) {
	r := newRig(t)
	root := r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	planted := t.TempDir()
	if err := os.WriteFile(filepath.Join(planted, "composer.json"), []byte(`{"planted": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "tf-magento-dmt-planted.tar.gz")
	if out, err := exec.Command("tar", "-czf", archive, "-C", planted, "composer.json").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	leaveLock(t, root, map[string]string{"owner": "999999999 " + host + " 2026-11-26T03:00:00Z\n", "changing": archive + "\n"})
	before := testenv.Digest(t, root, guardedPaths...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      r.dmtConfig(root, ""),
			ExpectError: regexp.MustCompile(`(?s)earlier\s+version.*` + regexp.QuoteMeta(archive) + `.*Nothing\s+was\s+changed`),
		}},
	})
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guardedPaths...)); diff != "" {
		t.Fatalf("the planted archive changed the root:\n%s", diff)
	}
}

// leaveLock leaves root's lock as another apply would, with these files in it.
func leaveLock(t *testing.T, root string, files map[string]string) string {
	t.Helper()
	lock := filepath.Join(root, "var", ".tf-magento-dmt.lock")
	if err := os.MkdirAll(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(lock, name), []byte(content), 0o644); err != nil { //nolint:gosec // as the apply script writes them
			t.Fatal(err)
		}
	}
	return lock
}
