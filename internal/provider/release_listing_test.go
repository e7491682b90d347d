package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// composerCall is one run of the composer spy: where it ran, the SHA-256 of the
// COMPOSER_AUTH it received, and its arguments.
type composerCall struct{ dir, auth, args string }

// composerLog is a composer command on the host that logs each call, then runs
// composer; while the file fail exists, `composer show` fails instead.
type composerLog struct {
	t                  *testing.T
	command, log, fail string
}

func newComposerLog(t *testing.T) *composerLog {
	t.Helper()
	dir := t.TempDir()
	s := &composerLog{t: t, command: filepath.Join(dir, "composer-spy"), log: filepath.Join(dir, "calls"), fail: filepath.Join(dir, "fail-show")}
	script := "#!/bin/sh\nh=$(printf %s \"$COMPOSER_AUTH\" | sha256sum | cut -d' ' -f1)\necho \"$PWD|$h|$*\" >> '" + s.log + "'\n" +
		"if [ \"$1\" = show ] && [ -e '" + s.fail + "' ]; then echo 'The \"https://repo.magento.com/packages.json\" file could not be downloaded (HTTP/2 401)' >&2; exit 1; fi\n" +
		"exec composer \"$@\"\n"
	if err := os.WriteFile(s.command, []byte(script), 0o755); err != nil { //nolint:gosec // an executable test shim
		t.Fatal(err)
	}
	return s
}

// calls returns the calls logged since the last reset and starts a new log.
func (s *composerLog) calls() []composerCall {
	s.t.Helper()
	b, err := os.ReadFile(s.log)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		s.t.Fatal(err)
	}
	if err := os.Remove(s.log); err != nil {
		s.t.Fatal(err)
	}
	var calls []composerCall
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			s.t.Fatalf("unparsable spy line %q", line)
		}
		calls = append(calls, composerCall{dir: parts[0], auth: parts[1], args: parts[2]})
	}
	return calls
}

// count is how many calls ran composer sub (show, require, ...).
func count(calls []composerCall, sub string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c.args, sub+" ") {
			n++
		}
	}
	return n
}

// fleetHCL is the provider block plus one resource per root, all on the rig's host and
// running Composer through spy; extra goes into every resource.
func fleetHCL(r *rig, spy *composerLog, roots map[string]string, extra string) string {
	var b strings.Builder
	b.WriteString(requireProvider + r.providerConfig())
	for name, root := range roots {
		fmt.Fprintf(&b, "\nresource \"magento_data_migration_tool\" %q {\n  host         = \"127.0.0.1\"\n  magento_root = %q\n  composer     = %q\n  composer_env = %s\n%s}\n",
			name, root, spy.command, r.composerEnvHCL(), extra)
		fmt.Fprintf(&b, "\noutput \"id_%s\" {\n  value = magento_data_migration_tool.%s.id\n}\n", name, name)
	}
	return b.String()
}

// driftedFleet installs n roots on the rig's host with the tool in sync, adopts them
// (no Composer), then downgrades the tool out of band: the day after a Magento release.
func driftedFleet(t *testing.T, r *rig, n int) (map[string]string, *composerLog, *cliWorkspace) {
	t.Helper()
	roots := map[string]string{}
	for i := range n {
		spec := testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"}
		if i%2 == 1 {
			spec = testenv.RootSpec{Edition: "enterprise", Magento: "2.4.8", DMT: "2.4.8.1"}
		}
		roots[fmt.Sprintf("shop%d", i)] = r.repo.NewRoot(t, filepath.Join(t.TempDir(), "magento"), spec)
	}
	spy := newComposerLog(t)
	w := newCLIWorkspace(t, map[string]string{"main.tf": fleetHCL(r, spy, roots, "")})
	w.env = append(w.env, "XDG_CACHE_HOME="+t.TempDir())
	w.must("apply", "-auto-approve", "-no-color")
	if calls := spy.calls(); len(calls) != 0 {
		t.Fatalf("adopting roots in sync ran composer: %v", calls)
	}
	for _, root := range roots {
		r.composer(t, root, "require", "magento/data-migration-tool:2.4.6")
	}
	return roots, spy, w
}

// commandsLabelled counts the remote commands whose label starts with label in a
// provider's debug log.
func commandsLabelled(t *testing.T, logFile, label string) int {
	t.Helper()
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	return len(regexp.MustCompile(`ssh command finished:.*label="`+regexp.QuoteMeta(label)).FindAll(b, -1))
}

// fleetTarget is the release driftedFleet's shop name needs.
func fleetTarget(name string) string {
	if i, _ := strconv.Atoi(strings.TrimPrefix(name, "shop")); i%2 == 1 {
		return "2.4.8.1"
	}
	return "2.4.7"
}

// The day after a release every shop drifts: a plan of the whole fleet on one host lists
// the releases once, outside every shop, and its apply runs one require per shop and no
// listing.
func TestAccReleaseListing_oncePerHostForADriftedFleet(t *testing.T) {
	r := newRig(t)
	roots, spy, w := driftedFleet(t, r, 4)
	logFile := filepath.Join(t.TempDir(), "plan.log")
	w.env = append(w.env, "TF_LOG_PROVIDER=DEBUG", "TF_LOG_PATH="+logFile)
	out := w.must("plan", "-no-color", "-out=tfplan")
	w.env = w.env[:len(w.env)-2]
	// The shops' release sources (their repositories) are read together: the first
	// plan's own read, and the read ahead of the shops the host served last run.
	if n := commandsLabelled(t, logFile, "read the Composer repositories"); n == 0 || n > 2 {
		t.Errorf("the plan read the shops' release sources in %d commands, want at most 2 for the host", n)
	}
	calls := spy.calls()
	if n := count(calls, "show"); n != 1 || len(calls) != 1 {
		t.Fatalf("the fleet's plan ran %d listings (%d composer runs), want one:\n%v", n, len(calls), calls)
	}
	for _, root := range roots {
		if calls[0].dir == root {
			t.Errorf("the listing ran in the shop %s", root)
		}
	}
	if !strings.Contains(out, "4 to change") {
		t.Fatalf("the plan does not upgrade the four shops:\n%s", out)
	}
	w.must("apply", "-no-color", "tfplan")
	calls = spy.calls()
	if count(calls, "show") != 0 || count(calls, "require") != 4 || len(calls) != 4 {
		t.Fatalf("the apply ran %v, want one require per shop and no listing", calls)
	}
	for name, root := range roots {
		if err := requires(root, fleetTarget(name))(nil); err != nil {
			t.Error(err)
		}
	}
}

// Destroy plans, refresh-only runs and imports read the hosts and run no Composer, nor
// does a plan of shops in sync.
func TestAccReleaseListing_noneAtRefreshDestroyOrImport(t *testing.T) {
	r := newRig(t)
	roots, spy, w := driftedFleet(t, r, 2)
	id := strings.TrimSpace(w.must("output", "-raw", "id_shop0"))
	for _, args := range [][]string{
		{"plan", "-destroy", "-no-color"},
		{"plan", "-refresh-only", "-no-color"},
		{"apply", "-refresh-only", "-auto-approve", "-no-color"},
		{"state", "rm", "magento_data_migration_tool.shop0"},
		{"import", "-no-color", "magento_data_migration_tool.shop0", id},
	} {
		w.must(args...)
		if calls := spy.calls(); len(calls) != 0 {
			t.Errorf("terraform %s ran composer: %v", strings.Join(args, " "), calls)
		}
	}
	for name, root := range roots {
		r.composer(t, root, "require", "magento/data-migration-tool:"+fleetTarget(name))
	}
	// The import set host and root only: the settings only configuration holds show as an
	// update that runs nothing; the version shows none.
	if out := w.must("plan", "-no-color"); strings.Contains(out, "~ version") || strings.Contains(out, "must be replaced") {
		t.Fatalf("the shops in sync still differ:\n%s", out)
	}
	if calls := spy.calls(); len(calls) != 0 {
		t.Errorf("a plan of shops in sync ran composer: %v", calls)
	}
}

// A listing that fails (repo.magento.com refuses the key) is made once per plan and
// fails each shop that needed it, once.
func TestAccReleaseListing_aFailedListingFailsEachShopOnce(t *testing.T) {
	r := newRig(t)
	roots, spy, w := driftedFleet(t, r, 3)
	if err := os.WriteFile(spy.fail, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := w.run("plan", "-no-color")
	if err == nil {
		t.Fatalf("the plan succeeded although the listing failed:\n%s", out)
	}
	if n := strings.Count(out, "Error: "); n != 3 {
		t.Errorf("%d errors, want one for each of the three shops:\n%s", n, out)
	}
	for name := range roots {
		if n := strings.Count(out, "with magento_data_migration_tool."+name+","); n != 1 {
			t.Errorf("shop %s failed %d times, want once:\n%s", name, n, out)
		}
	}
	if !strings.Contains(out, "could not be downloaded") {
		t.Errorf("the error does not say what Composer said:\n%s", out)
	}
	if calls := spy.calls(); count(calls, "show") != 1 || len(calls) != 1 {
		t.Errorf("the failing listing ran %d times (%v), want once", count(calls, "show"), calls)
	}
}

// A shop with credentials of its own (composer_auth_wo, here without
// composer_auth_wo_version) lists with them: the provider's credentials never reach
// its Composer, at refresh, plan or apply; a shop beside it on the host that uses the
// provider's lists with those, in a listing of its own.
func TestAccReleaseListing_eachShopWithItsOwnCredentials(t *testing.T) {
	skipCLIBelow(t, tfversion.SkipBelow(tfversion.Version1_11_0))
	r := newRig(t)
	own, fleet := newComposerLog(t), newComposerLog(t)
	roots := map[string]string{
		"own":   r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"}),
		"fleet": r.root(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"}),
	}
	nonce := fmt.Sprint(os.Getpid())
	fleetAuth, ownAuth := composerAuthFor("fleet", "provider-secret-"+nonce), composerAuthFor("own", "own-secret-"+nonce)
	provider := strings.TrimSuffix(r.sshd.ProviderHCL(), "}\n") + "  composer_auth = var.fleet_auth\n}\n"
	config := requireProvider + provider + `
variable "fleet_auth" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "own_auth" {
  type      = string
  sensitive = true
  ephemeral = true
}
` + dmtHCL("own", "127.0.0.1", roots["own"], str("composer", own.command), expr("composer_env", r.composerEnvHCL()),
		expr("composer_auth_wo", "var.own_auth")) +
		dmtHCL("fleet", "127.0.0.1", roots["fleet"], str("composer", fleet.command), expr("composer_env", r.composerEnvHCL()))
	w := newCLIWorkspace(t, map[string]string{"main.tf": config})
	w.env = append(w.env, "XDG_CACHE_HOME="+t.TempDir(), "TF_VAR_fleet_auth="+fleetAuth, "TF_VAR_own_auth="+ownAuth)
	w.must("apply", "-auto-approve", "-no-color") // adopts both: in sync
	for _, root := range roots {
		r.composer(t, root, "require", "magento/data-migration-tool:2.4.6")
	}
	w.must("plan", "-no-color", "-out=tfplan")
	w.must("apply", "-no-color", "tfplan")
	for spy, want := range map[*composerLog]string{own: ownAuth, fleet: fleetAuth} {
		calls := spy.calls()
		if count(calls, "show") != 1 || count(calls, "require") != 1 {
			t.Errorf("want one listing and one require, got %v", calls)
		}
		for _, c := range calls {
			if c.auth != sha256Hex(want) {
				t.Errorf("composer %s got other credentials than its shop's", c.args)
			}
		}
	}
	if err := requires(roots["own"], "2.4.7")(nil); err != nil {
		t.Error(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(sha256Hex(ownAuth)) {
		t.Fatal("sha256Hex is broken")
	}
}
