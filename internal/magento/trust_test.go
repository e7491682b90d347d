package magento

// The web user against the privilege-separated apply: each test pins a rule of DESIGN.md's
// Trust section (the shop only as its owner, the state only where no one else writes).

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// webOwnedRoot makes a root whose every file belongs to the web user (reachable by it),
// with the state beside it as params does; the apply runs as root (these tests run as
// root) with run_as unset.
func webOwnedRoot(t *testing.T) (string, Exec, ChangeParams) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the applier is root and the shop belongs to another user")
	}
	testenv.EnsureWebUser(t)
	uid, gid := testenv.IDs(t, testenv.WebUser)
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	// The web user must reach its shop: the temp directories above are 0700.
	for dir := filepath.Dir(root); dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	}); err != nil {
		t.Fatal(err)
	}
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	return root, e, p
}

// asWeb runs a shell command as the web user (the attacker), in dir.
func asWeb(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("sudo", "-n", "-u", testenv.WebUser, "--", "sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("as %s: %v %s", testenv.WebUser, err, out)
	}
}

// Shop code never runs as root: the web user, in a root it owns, renames a root-owned
// file (a root cron's log) to composer.json and moves composer.lock and vendor/ aside;
// composer.json's owner does not speak for a shop whose root and bin/magento are another
// user's, so the apply refuses and bin/magento never runs as uid 0.
func TestWebUserCannotMakeTheApplyRunShopCodeAsRoot(t *testing.T) {
	root, e, p := webOwnedRoot(t)
	p.SetupBackup = []string{"code"}
	// Left by root earlier: a log line of a root cron, in the web user's var/log.
	planted := filepath.Join(root, "var/log/cron.log")
	asWeb(t, root, "mkdir -p var/log")
	if err := os.WriteFile(planted, []byte("cron ran\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The web user's shop code: bin/magento records who runs it.
	asWeb(t, root, `touch var/backup-enabled.flag &&
printf '%s\n' '#!/usr/bin/env php' '<?php file_put_contents(__DIR__ . "/../var/ran-as", trim(shell_exec("id -u")));' > bin/magento &&
mv composer.json composer.json.mine && mv var/log/cron.log composer.json &&
mv composer.lock composer.lock.mine && mv vendor vendor.mine`)
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	ranAs, readErr := os.ReadFile(filepath.Join(root, "var/ran-as"))
	if readErr == nil && strings.TrimSpace(string(ranAs)) == "0" {
		t.Fatalf("the web user's bin/magento ran as uid 0 (composer.json renamed from a root-owned file); apply: %v", err)
	}
}

// Every message says what really happened: an apply that first finished an owed
// restore, then failed in Composer and restored its backup (the owed archive), owes
// nothing, and the error does not say a restore is owed.
func TestAnOwedRestoreThatRanIsNotReportedAsStillOwed(t *testing.T) {
	_, e, p, _ := owingRoot(t)
	e.Composer = fakeComposer(t, `echo "Your requirements could not be resolved"; exit 2`)
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "composer" {
		t.Fatalf("want Composer's failure, got %v", err)
	}
	if ce.Owed != "" || strings.Contains(err.Error(), "A restore is owed") {
		t.Fatalf("nothing is owed any more (the record is gone), yet the error says so: %v", err)
	}
}

// Composer runs as the shop's owner, after bin/magento setup:backup too (each step in
// the background runs as the owner, not only the first).
func TestComposerRunsAsTheOwnerAfterSetupBackup(t *testing.T) {
	root, e, p := webOwnedRoot(t)
	p.SetupBackup = []string{"code"}
	asWeb(t, root, "mkdir -p var && touch var/backup-enabled.flag")
	e.Composer = fakeComposer(t, `id -u > var/composer-uid; exec composer "$@"`)
	if _, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatal(err)
	}
	uid, _ := testenv.IDs(t, testenv.WebUser)
	if b, err := os.ReadFile(filepath.Join(root, "var/composer-uid")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(uid) {
		t.Fatalf("Composer ran as uid %q (%v), not as the shop's owner %d", b, err, uid)
	}
}

// The applier never writes into the shop with its own rights: preserve_paths (and
// carried files) are extracted by the owner's tar, so a link a Composer script of the
// shop puts at the tool's etc/ (to a directory of root's) is followed only with the
// owner's rights, and nothing lands there.
func TestPreservedFilesAreWrittenOnlyAsTheOwner(t *testing.T) {
	root, e, p := webOwnedRoot(t)
	outside := filepath.Join(t.TempDir(), "roots-own")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	asWeb(t, root, "mkdir -p "+dirDMT+"/etc && echo '<map/>' > "+dirDMT+"/etc/custom.xml")
	p.PreservePaths = []string{"etc/custom.xml"}
	// The shop's Composer script, as the owner: after the update, etc/ is a link.
	e.Composer = fakeComposer(t, `composer "$@" || exit; rm -rf `+dirDMT+`/etc && ln -s `+outside+` `+dirDMT+`/etc`)
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	if _, statErr := os.Lstat(filepath.Join(outside, "custom.xml")); statErr == nil {
		t.Fatalf("the applier wrote %s/custom.xml, outside the shop, through the web user's link; apply: %v", outside, err)
	}
}

// Durable, then paid: a completed apply removes its owed-restore record, so the next
// plan shows no restore owed and the next apply never undoes the upgrade.
func TestACompletedApplyOwesNoRestore(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	if _, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(p.BackupDir, "owed")); err == nil {
		t.Fatalf("a completed apply left its record, so the next apply restores %q", strings.SplitN(string(b), "\n", 2)[0])
	}
}

// A holder is dead only on evidence, and a takeover never runs beside a Composer: the
// apply's shell killed outright (kill -9, the OOM killer) leaves its Composer running,
// and the next apply waits for that job (the private lock names it), not only the shell.
func TestATakeoverWaitsForTheKilledApplysComposer(t *testing.T) {
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	mark := t.TempDir()
	first := e
	first.Composer = fakeComposer(t, `echo $$ > `+mark+`/pid; touch `+mark+`/started; sleep 6; composer "$@"; touch `+mark+`/finished`)
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(mark, "pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := Change(context.Background(), &LocalRunner{}, first, p)
		done <- err
	}()
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(mark, "started")); err == nil {
			break
		}
		if i > 300 {
			t.Fatal("the first apply's Composer never started")
		}
		time.Sleep(100 * time.Millisecond)
	}
	holder, err := os.ReadFile(filepath.Join(StateDir(p.StateBase, root), "lock", "owner"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(holder))[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil { // the apply's shell only
		t.Fatal(err)
	}
	t.Logf("the killed apply: %v", <-done)
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	_, finishedErr := os.Stat(filepath.Join(mark, "finished"))
	if err == nil && os.IsNotExist(finishedErr) {
		t.Fatalf("the next apply took the locks over and ran while the killed apply's Composer still ran: %+v", res)
	}
}

// backup.directory passes only where every ancestor is owned by root or the applier and
// writable by no one else, checked on its physical path: a root-made link to a
// root-owned 0700 directory inside the web user's var/ is refused (the web user could
// rename that directory away and put its own in its place).
func TestBackupDirectoryThroughALinkIntoTheShopIsRefused(t *testing.T) {
	root, e, p := webOwnedRoot(t)
	asWeb(t, root, "mkdir -p var")
	inShop := filepath.Join(root, "var", "backups-root")
	if err := os.Mkdir(inShop, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(filepath.Dir(root), "backups")
	if err := os.Symlink(inShop, link); err != nil {
		t.Fatal(err)
	}
	p.BackupDir = link
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "private" {
		t.Fatalf("want the backup directory refused (its target lies in the web user's var/), got %+v, %v", res, err)
	}
}

// Every Composer run is the owner's, the plan's release listing included: with run_as
// unset and root applying, composer show runs as the owner of composer.json.
func TestReleaseListingRunsAsTheOwner(t *testing.T) {
	root, e, _ := webOwnedRoot(t)
	who := filepath.Join(filepath.Dir(root), "listed-as")
	spy := filepath.Join(filepath.Dir(root), "composer-spy")
	if err := os.WriteFile(spy, []byte("#!/bin/sh\nid -u >> "+who+"\nexec composer \"$@\"\n"), 0o755); err != nil { //nolint:gosec // a test spy
		t.Fatal(err)
	}
	if err := os.WriteFile(who, nil, 0o666); err != nil { //nolint:gosec // the web user appends
		t.Fatal(err)
	}
	if err := os.Chmod(who, 0o666); err != nil {
		t.Fatal(err)
	}
	e.Composer = spy
	if _, err := listReleasesOf(t, e, root); err != nil {
		t.Fatal(err)
	}
	uid, _ := testenv.IDs(t, testenv.WebUser)
	b, _ := os.ReadFile(who)
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(uid) {
		t.Fatalf("composer show ran as uid %q, want the owner %s (%d)", got, testenv.WebUser, uid)
	}
}
