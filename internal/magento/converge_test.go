package magento

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// guarded are the paths an apply may change and a failed apply must restore.
var guarded = []string{"composer.json", "composer.lock", "vendor/composer", "vendor/magento/data-migration-tool"}

func newRoot(t *testing.T, spec testenv.RootSpec) (string, Exec) {
	t.Helper()
	r := sharedRepo(t)
	root := r.NewRoot(t, filepath.Join(t.TempDir(), "magento"), spec)
	return root, Exec{Env: testenv.EnvMap(r.ComposerEnv)}
}

// params keeps the root's private state beside it (its parent is a private temp dir).
func params(root string) ConvergeParams {
	base := filepath.Join(filepath.Dir(root), "state")
	return ConvergeParams{ChangeParams: ChangeParams{Root: root, StateBase: base, BackupDir: StateDir(base, root), Keep: 10}}
}

// holderHere is a lock's holder line for PID on this machine, as change.sh writes it.
func holderHere(t *testing.T, pid int) string {
	t.Helper()
	return testenv.HolderLine(t, pid, "2026-11-25T10:00:00Z")
}

func composerRequirement(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "composer.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"magento/data-migration-tool"`) {
			return strings.Trim(strings.TrimSpace(strings.SplitN(line, ":", 2)[1]), `",`)
		}
	}
	return ""
}

func archiveMembers(t *testing.T, archive string) string {
	t.Helper()
	out, err := exec.Command("tar", "-tzf", archive).CombinedOutput()
	if err != nil {
		t.Fatalf("archive %s unreadable: %v %s", archive, err, out)
	}
	return string(out)
}

// fakeComposer writes a composer wrapper script and returns its path.
func fakeComposer(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "composer")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// plannedTarget is the release a plan resolves for root: listed, then chosen.
func plannedTarget(t *testing.T, e Exec, root, magentoVersion, pin string) string {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // where the listing keeps its list
	releases, err := listReleasesOf(t, e, root)
	if err != nil {
		t.Fatal(err)
	}
	target, err := ResolveTarget(magentoVersion, pin, releases)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

func TestConvergeUpgradesToTheNewestHotfix(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.6"})
	p := params(root)
	p.PlannedTarget = plannedTarget(t, e, root, "2.4.8", "")
	inst, res, err := Converge(context.Background(), &LocalRunner{}, e, p)
	if err != nil {
		t.Fatal(err)
	}
	if inst.DMTVersion != "2.4.8.1" || res.Previous != "2.4.6" || res.Installed != "2.4.8.1" {
		t.Fatalf("got %+v / %+v", inst, res)
	}
	if req := composerRequirement(t, root); req != "2.4.8.1" {
		t.Fatalf("composer.json requires %q, want the exact 2.4.8.1", req)
	}
	members := archiveMembers(t, res.Archive)
	for _, want := range []string{"composer.json", "composer.lock", "vendor/composer/installed.json",
		"vendor/magento/data-migration-tool/etc/opensource-to-opensource/1.9.4.5/map.xml.dist"} {
		if !strings.Contains(members, want+"\n") {
			t.Errorf("archive lacks %s:\n%s", want, members)
		}
	}
	if !strings.HasPrefix(res.Archive, params(root).BackupDir+"/"+ArchivePrefix) {
		t.Errorf("archive %s is not in the default backup directory", res.Archive)
	}
	if _, err := os.Stat(filepath.Join(root, "var", lockName)); !os.IsNotExist(err) {
		t.Errorf("the lock was not released: %v", err)
	}
}

func TestConvergeInSyncRunsOnlyTheRead(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	runner := &LocalRunner{}
	inst, res, err := Converge(context.Background(), runner, e, params(root))
	if err != nil || inst.DMTVersion != "2.4.7" || res.Archive != "" || runner.Calls != 1 {
		t.Fatalf("got %+v / %+v / %v after %d commands", inst, res, err, runner.Calls)
	}
}

// A drifted root whose turn on the host never comes (per_host_parallelism) is left
// alone when the apply is cancelled: the read ran, nothing after it; an in-sync root
// never asks for a turn.
func TestConvergeCancelledBeforeItsComposerTurnRunsNothing(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.8", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guarded...)
	ctx, cancel := context.WithCancel(context.Background())
	p := params(root)
	p.BeforeComposer = func(ctx context.Context) (context.Context, func(), error) {
		cancel() // Ctrl-C while waiting
		<-ctx.Done()
		return nil, nil, ctx.Err()
	}
	runner := &LocalRunner{}
	if _, _, err := Converge(ctx, runner, e, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if runner.Calls != 1 {
		t.Fatalf("%d commands ran, want only the read", runner.Calls)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
	if _, err := os.Stat(params(root).BackupDir); !os.IsNotExist(err) {
		t.Fatal("a backup was made although the apply never got its turn")
	}

	inSync, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	p = params(inSync)
	p.BeforeComposer = func(context.Context) (context.Context, func(), error) {
		t.Error("a root in sync asked for a Composer turn")
		return nil, nil, errors.New("no turn")
	}
	if _, _, err := Converge(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatal(err)
	}
}

// A pinned hotfix is installed, and required exactly, over the base release installed.
func TestConvergeInstallsThePinnedHotfix(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.6-p4", DMT: "2.4.6"})
	p := params(root)
	p.Pin = "2.4.6.1"
	p.PlannedTarget = plannedTarget(t, e, root, "2.4.6-p4", p.Pin)
	inst, _, err := Converge(context.Background(), &LocalRunner{}, e, p)
	if err != nil || inst.DMTVersion != "2.4.6.1" || composerRequirement(t, root) != "2.4.6.1" {
		t.Fatalf("got %+v, %v", inst, err)
	}
}

// A plan that found no release for Magento's version plans no target: the apply lists
// nothing and changes nothing, with a warning (on_missing_release = "warn") or an error.
func TestConvergeWithoutAReleaseTouchesNothing(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.9", DMT: "2.4.8"})
	before := testenv.Digest(t, root, guarded...)
	e.Composer = fakeComposer(t, `echo "composer ran: $*" >&2; exit 1`)
	runner := &LocalRunner{}
	_, _, err := Converge(context.Background(), runner, e, params(root))
	if err == nil || !strings.Contains(err.Error(), "the plan found no magento/data-migration-tool release for Magento 2.4.9") ||
		!strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("want a one-sentence cause, got %v", err)
	}
	p := params(root)
	p.WaitForRelease = true
	if _, res, err := Converge(context.Background(), runner, e, p); err != nil || len(res.Warnings) != 1 {
		t.Fatalf("waiting for a release: %+v %v", res, err)
	}
	if runner.Calls != 2 {
		t.Fatalf("%d commands ran, want only the two reads", runner.Calls)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
	if _, err := os.Stat(params(root).BackupDir); !os.IsNotExist(err) {
		t.Fatal("a backup was made although nothing was to be changed")
	}
}

func TestChangeRollsBackWhenComposerFailsAfterWriting(t *testing.T) {
	for name, body := range map[string]string{
		// The install step dies after composer rewrote composer.json, the lock and vendor/.
		"killed after writing": `composer "$@" >/dev/null 2>&1; echo "Killed (simulated)"; exit 137`,
		// Composer claims success but installed nothing: verification must catch it.
		"silent no-op": `echo "Nothing to install, update or remove"; exit 0`,
		// Resolution fails: composer reverts its own files, our restore must be harmless.
		"cannot resolve": `exec composer require magento/data-migration-tool:2.4.9 --no-interaction`,
	} {
		t.Run(name, func(t *testing.T) {
			root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
			before := testenv.Digest(t, root, guarded...)
			e.Composer = fakeComposer(t, body)
			p := params(root).ChangeParams
			p.Target = "2.4.7"
			_, err := Change(context.Background(), &LocalRunner{}, e, p)
			var ce *ChangeError
			if !errors.As(err, &ce) || !ce.Restored || ce.Archive == "" || !strings.Contains(err.Error(), ce.Archive) {
				t.Fatalf("want a restored ChangeError naming the archive, got %v", err)
			}
			if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
				t.Fatalf("not restored byte for byte:\n%s", diff)
			}
			if name == "cannot resolve" && !strings.Contains(err.Error(), "does not match the constraint") {
				t.Fatalf("composer's last lines are missing: %v", err)
			}
		})
	}
}

// writeLock leaves a lock as another apply would: owner "PID HOST START".
func writeLock(t *testing.T, root string, owner string) string {
	t.Helper()
	return writeHeld(t, filepath.Join(root, "var", lockName), 0o755, owner)
}

// writeHeld makes dir (a lock or a slot) and, when owner is not empty, its owner file.
func writeHeld(t *testing.T, dir string, perm os.FileMode, owner string) string {
	t.Helper()
	if err := os.MkdirAll(dir, perm); err != nil {
		t.Fatal(err)
	}
	if owner != "" {
		if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(owner+"\n"), 0o644); err != nil { //nolint:gosec // read by the apply, as it writes it
			t.Fatal(err)
		}
	}
	return dir
}

func thisHost(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "hostname 2>/dev/null || uname -n").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// Several web nodes share one root: a lock names its host, a live holder is waited
// for, another host's lock is never taken over (a PID means nothing there), a lock
// with no owner is reported, and only a holder gone from this host is replaced.
func TestChangeTakesOverOnlyTheLockOfADeadHolderHere(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	holder := exec.Command("sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Process.Kill(); _ = holder.Wait() }()
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	before := testenv.Digest(t, root, guarded...)
	for _, tc := range []struct{ name, owner, want string }{
		{"live holder here", holderHere(t, holder.Process.Pid), "another apply holds the lock"},
		{"another host", "999999999 web2.shop.internal 2026-11-25T10:00:00Z", "locked by an apply on another host: 999999999 web2.shop.internal"},
		{"no owner", "", "names no holder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lock := writeLock(t, root, tc.owner)
			defer os.RemoveAll(lock)
			_, err := Change(context.Background(), &LocalRunner{}, e, p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), lock) {
				t.Fatalf("want %q naming %s, got %v", tc.want, lock, err)
			}
			if tc.owner != "" && !strings.Contains(err.Error(), strings.Fields(tc.owner)[0]) {
				t.Fatalf("the error does not name the holder: %v", err)
			}
			if _, err := os.Stat(lock); err != nil {
				t.Fatal("a lock that is not ours must stay in place")
			}
			if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
				t.Fatalf("files changed:\n%s", diff)
			}
		})
	}
	foreign := writeLock(t, root, "999999999 web2.shop.internal 2026-11-25T10:00:00Z")
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err == nil || !strings.Contains(err.Error(), "rm -rf '"+foreign+"'") {
		t.Fatalf("the error must give the command that clears the lock: %v", err)
	}
	_ = os.RemoveAll(foreign)

	lock := writeLock(t, root, holderHere(t, 999999999))
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err != nil || res.Installed != "2.4.7" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "took over the lock") {
		t.Fatalf("a dead holder's lock on this host must be taken over with a warning: %+v, %v", res, err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Fatal("the lock was not released")
	}
}

// Two applies find the same stale lock at once: exactly one takes it over.
func TestStaleLockIsTakenOverByOneApply(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	writeLock(t, root, holderHere(t, 999999999))
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := Change(context.Background(), &LocalRunner{}, e, p)
			errs <- err
		}()
	}
	var failed []error
	for range 2 {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Error(), "lock") {
		t.Fatalf("want exactly one apply refused by the lock, got %v", failed)
	}
	if composerRequirement(t, root) != "2.4.7" {
		t.Fatalf("composer.json requires %q", composerRequirement(t, root))
	}
}

func TestChangePreservesPathsAndPrunes(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	custom := filepath.Join(root, "vendor/magento/data-migration-tool/etc/opensource-to-opensource/1.9.4.5/map.xml")
	if err := os.WriteFile(custom, []byte("<map custom=\"yes\"/>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := params(root).ChangeParams
	p.Keep = 2
	p.PreservePaths = []string{"etc/opensource-to-opensource/1.9.4.5/map.xml", "etc/not-there.xml"}
	var archives []string
	for _, target := range []string{"2.4.7", "2.4.6.1", "2.4.7"} {
		p.Target = target
		res, err := Change(context.Background(), &LocalRunner{}, e, p)
		if err != nil || res.Installed != target {
			t.Fatalf("upgrade to %s: %+v, %v", target, res, err)
		}
		archives = append(archives, res.Archive)
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "etc/not-there.xml") {
			t.Fatalf("want a warning for the missing preserve path, got %v", res.Warnings)
		}
	}
	if b, err := os.ReadFile(custom); err != nil || string(b) != "<map custom=\"yes\"/>\n" {
		t.Fatalf("the customised map file was not carried over: %q, %v", b, err)
	}
	left, _ := filepath.Glob(filepath.Join(params(root).BackupDir, ArchivePrefix+"*.tar.gz"))
	if len(left) != 2 || left[0] == archives[0] || left[1] == archives[0] {
		t.Fatalf("keep = 2 must leave the two newest archives, got %v of %v", left, archives)
	}
}

func TestRemoveBacksUpFirst(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	res, err := Remove(context.Background(), &LocalRunner{}, e, params(root).ChangeParams)
	if err != nil || res.Installed != "" || res.Previous != "2.4.7" {
		t.Fatalf("got %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(root, "vendor/magento/data-migration-tool")); !os.IsNotExist(err) {
		t.Fatal("the tool is still installed")
	}
	if !strings.Contains(archiveMembers(t, res.Archive), "vendor/magento/data-migration-tool/") || composerRequirement(t, root) != "" {
		t.Fatal("the archive must hold the tool and composer.json must no longer require it")
	}
}

// setup:backup disabled by the shop (Magento's default) fails the apply before anything
// changes, naming the setting; enabled, it runs with the parts asked for.
func TestSetupBackupRunsOnlyWhenTheShopEnabledIt(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	before := testenv.Digest(t, root, guarded...)
	p := params(root).ChangeParams
	p.Target, p.SetupBackup = "2.4.7", []string{"code", "db"}
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err == nil || !strings.Contains(err.Error(), "backup functionality is disabled") || !strings.Contains(err.Error(), "functionality_enabled 1") {
		t.Fatalf("want a clear disabled-backup error, got %v", err)
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}

	if err := os.WriteFile(filepath.Join(root, "var/backup-enabled.flag"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatal(err)
	}
	if args, _ := os.ReadFile(filepath.Join(root, "var/setup-backup.args")); string(args) != "--code --db" {
		t.Fatalf("setup:backup ran with %q", args)
	}
}

func TestComposerEnvAndAuthAreNotInterpreted(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	marker := filepath.Join(t.TempDir(), "pwned")
	spy := filepath.Join(t.TempDir(), "spy")
	e.Composer = fakeComposer(t, `printf '%s\n%s\n' "$EVIL" "$COMPOSER_AUTH" > `+spy+`; exec composer "$@"`)
	e.Env["EVIL"] = "'; touch " + marker + "; '$(touch " + marker + ")`touch " + marker + "`"
	e.Auth = "{\n  \"http-basic\": {\"repo.example\": {\"username\": \"u\", \"password\": \"p'$(touch " + marker + ")\"}}\n}"
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	if _, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a value from composer_env or composer_auth was executed")
	}
	got, _ := os.ReadFile(spy)
	want := e.Env["EVIL"] + "\n" + `{"http-basic":{"repo.example":{"username":"u","password":"p'$(touch ` + marker + `)"}}}` + "\n"
	if string(got) != want {
		t.Fatalf("composer saw\n%q\nwant\n%q", got, want)
	}
}

// interruptedApply leaves root as an apply killed outright after composer ran: the
// tool upgraded to 2.4.7, the shared lock of a gone process of this machine, and the
// private record saying a restore is owed from archive (a backup of the state before).
func interruptedApply(t *testing.T, root, archive string) {
	t.Helper()
	interruptedApplyIn(t, root, archive, params(root).BackupDir)
}

// interruptedApplyIn is interruptedApply with the record in the state directory state.
func interruptedApplyIn(t *testing.T, root, archive, state string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(archive), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-czf", archive, "-C", root, "composer.json", "composer.lock", "vendor/composer", "vendor/magento/data-migration-tool").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cmd := exec.Command("composer", "require", "magento/data-migration-tool:2.4.7", "--no-interaction", "--quiet")
	cmd.Dir, cmd.Env = root, append(os.Environ(), sharedRepo(t).ComposerEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	writeLock(t, root, holderHere(t, 999999999))
	physical, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	record := archive + "\n2026-11-25T10:00:00Z\ncomposer.json composer.lock vendor/composer vendor/magento/data-migration-tool\n" + physical + "\n"
	if err := os.WriteFile(filepath.Join(state, "owed"), []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
}

// owingRoot is a root of Magento 2.4.7-p3 with the tool at 2.4.6, then left as
// interruptedApply leaves it: the tool at 2.4.7 and a restore owed from archive. p
// targets 2.4.7.
func owingRoot(t *testing.T) (root string, e Exec, p ChangeParams, archive string) {
	t.Helper()
	root, e = newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p = params(root).ChangeParams
	p.Target = "2.4.7"
	archive = filepath.Join(p.BackupDir, ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	interruptedApply(t, root, archive)
	return root, e, p, archive
}

// An apply killed outright left the lock of its gone process and an owed restore: the
// next apply archives what it left, restores the backup, then upgrades.
func TestStaleLockOfAnInterruptedApplyIsRestoredFirst(t *testing.T) {
	_, e, p, archive := owingRoot(t)
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous != "2.4.6" || res.Installed != "2.4.7" || len(res.Warnings) != 3 || !strings.Contains(res.Warnings[2], "restored "+archive) {
		t.Fatalf("the half-finished apply must be restored before the new one: %+v", res)
	}
	// What the restore replaced was archived first.
	replaced := strings.TrimSuffix(strings.SplitN(res.Warnings[1], " in ", 2)[1], " before restoring")
	if !strings.HasPrefix(res.Warnings[1], "archived what the interrupted apply left") || !strings.Contains(archiveMembers(t, replaced), "composer.lock\n") {
		t.Fatalf("want the replaced files archived first: %v", res.Warnings)
	}
}

// A restore is owed only by the private record: a lock in var/ that holds a marker (an
// earlier version's, or one the web user planted) is never restored from; the apply is
// refused, naming the archive and the manual restore, and nothing is extracted.
func TestVarLockMarkerIsNeverRestoredFrom(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	archive := filepath.Join(root, "var", LegacyBackupSubdir[len("var/"):], ArchivePrefixFor(root)+"20261125T100000Z-4242.tar.gz")
	plantedArchive(t, archive)
	lock := writeLock(t, root, holderHere(t, 999999999))
	if err := os.WriteFile(filepath.Join(lock, "changing"), []byte(archive+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := testenv.Digest(t, root, guarded...)
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err == nil || !strings.Contains(err.Error(), "earlier version") || !strings.Contains(err.Error(), archive) || !strings.Contains(err.Error(), "Nothing was changed") {
		t.Fatalf("want the legacy marker refused naming %s, got %v", archive, err)
	}
	if _, err := os.Stat(filepath.Join(root, "planted.txt")); err == nil {
		t.Fatal("the planted archive was extracted into the root")
	}
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Fatalf("files changed:\n%s", diff)
	}
}

func plantedArchive(t *testing.T, path string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "planted.txt"), []byte("planted\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-czf", path, "-C", dir, "planted.txt").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
}

// An existing backup directory is left as it is, with a warning when other users can
// read it; the archive in it is private all the same.
func TestChangeWarnsOfAReadableBackupDirectory(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	p.Target, p.BackupDir = "2.4.7", filepath.Join(t.TempDir(), "shared-backups")
	if err := os.Mkdir(p.BackupDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p.BackupDir, 0o755); err != nil { // whatever the test's umask
		t.Fatal(err)
	}
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], p.BackupDir+" can be read by other users (drwxr-xr-x)") {
		t.Fatalf("want a warning about the readable directory, got %v", res.Warnings)
	}
	if info, err := os.Stat(p.BackupDir); err != nil || info.Mode().Perm() != 0o755 {
		t.Fatalf("an existing directory must be left as it is: %v %v", info.Mode(), err)
	}
	if info, err := os.Stat(res.Archive); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the archive is not private: %v %v", info.Mode(), err)
	}
}

// Checks that can refuse run before bin/magento setup:backup: a refused apply never
// leaves the shop having run a backup (and maintenance mode) for nothing, and "nothing
// was changed" stays true.
func TestChecksComeBeforeSetupBackup(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/backup-enabled.flag"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Valid JSON that survey.awk leaves to PHP (an escaped slash), and a PHP that fails.
	manifest := filepath.Join(root, "composer.json")
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte(strings.ReplaceAll(string(b), `"magento/data-migration-tool"`, `"magento\/data-migration-tool"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.PHP = fakeComposer(t, `[ "$1" = -r ] && exit 1; exec php "$@"`) // php cannot read composer.json
	p := params(root).ChangeParams
	p.Target, p.SetupBackup = "2.4.7", []string{"db"}
	_, err = Change(context.Background(), &LocalRunner{}, e, p)
	if err == nil || !strings.Contains(err.Error(), "could not read composer.json") || !strings.Contains(err.Error(), "Nothing was changed") {
		t.Fatalf("want the section check's refusal, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "var/setup-backup.args")); err == nil {
		t.Fatal("setup:backup ran before a check that refused the apply")
	}
}

// An upgrade the plan made against known versions runs one command on the host, the
// apply script, which checks both versions itself inside the lock: a read before it
// would only repeat them. A host that changed since the plan still refuses it, from
// the script, with the shop untouched.
func TestPlannedUpgradeRunsTheApplyScriptAlone(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root)
	p.PlannedTarget, p.ExpectMagento, p.ExpectInstalled, p.CheckInstalled, p.PlannedEdition = "2.4.7", "2.4.7-p3", "2.4.6", true, "community"
	r := &countingRunner{}
	inst, res, err := Converge(context.Background(), r, e, p)
	if err != nil || res.Installed != "2.4.7" {
		t.Fatalf("want the upgrade: %+v %v", res, err)
	}
	if r.calls != 1 {
		t.Fatalf("want the apply script alone on the host, ran %d commands", r.calls)
	}
	if inst.MagentoVersion != "2.4.7-p3" || inst.Edition != "community" || inst.DMTVersion != "2.4.7" {
		t.Fatalf("want the installation as planned and upgraded, got %+v", inst)
	}

	p.ExpectInstalled = "2.4.5" // the plan saw another version than the host now has
	p.PlannedTarget = "2.4.8"
	before := composerRequirement(t, root)
	_, _, err = Converge(context.Background(), &countingRunner{}, e, p)
	var stale *StalePlanError
	if !errors.As(err, &stale) || stale.Planned != "2.4.5" || stale.Now != "2.4.7" {
		t.Fatalf("want the stale plan refused, got %v", err)
	}
	if composerRequirement(t, root) != before {
		t.Fatal("a stale plan changed composer.json")
	}
}

// A planned upgrade of a root that is no longer a Magento install (its lock gone): the
// error is the read's, which says why, not "Magento's version changed".
func TestPlannedUpgradeOfARootNoLongerMagentoSaysWhy(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if err := os.Remove(filepath.Join(root, "composer.lock")); err != nil {
		t.Fatal(err)
	}
	p := params(root)
	p.PlannedTarget, p.ExpectMagento, p.ExpectInstalled, p.CheckInstalled, p.PlannedEdition = "2.4.7", "2.4.7-p3", "2.4.6", true, "community"
	_, _, err := Converge(context.Background(), &LocalRunner{}, e, p)
	var stale *StalePlanError
	var install *InstallError
	if err == nil || errors.As(err, &stale) || !errors.As(err, &install) {
		t.Fatalf("want the read's error for a root that is not Magento, got %v", err)
	}
}
