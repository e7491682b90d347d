package magento

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Shell-level tests of change.sh: the real script, run by Change, under dash (Debian's
// sh) and under BusyBox's sh with only its applets on PATH (an Alpine-like host).

// changeShell is one host shell the apply script must work under.
type changeShell struct {
	name   string
	runner func(shims string) Runner // shims: a directory put first on PATH ("" = none)
	tool   func(name string) string  // the host tool a shim hands over to
}

func changeShells(t *testing.T) []changeShell {
	t.Helper()
	bb := testenv.BusyBox(t)
	system := func(name string) string {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	return []changeShell{
		{"dash", func(shims string) Runner {
			if shims == "" {
				return &LocalRunner{}
			}
			return pathFirst{&LocalRunner{}, shims}
		}, system},
		{"BusyBox", func(shims string) Runner {
			if shims == "" {
				return busyBoxRunner{bb}
			}
			return pathFirst{busyBoxRunner{bb}, shims}
		}, func(name string) string { return filepath.Join(bb, name) }},
	}
}

// pathFirst runs every command with dir first on PATH (shims for host tools).
type pathFirst struct {
	Runner
	dir string
}

func (p pathFirst) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	return p.Runner.Run(ctx, label, "PATH="+shell.Quote(p.dir)+":$PATH; export PATH\n"+cmd, stdin)
}

// shellRoot makes a root with the tool at 2.4.6 under Magento 2.4.7-p3, and an Exec
// whose composer (a wrapper running body with the system's PATH; default: the real
// composer) and php are absolute paths: BusyBox's PATH has neither.
func shellRoot(t *testing.T, body string) (string, Exec, ChangeParams) {
	t.Helper()
	root, e := newRoot(t, testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6"})
	if body == "" {
		body = `exec composer "$@"`
	}
	e.Composer = fakeComposer(t, "PATH=/usr/local/bin:/usr/bin:/bin; export PATH\n"+body)
	php, err := exec.LookPath("php")
	if err != nil {
		t.Fatal(err)
	}
	e.PHP = php
	p := params(root).ChangeParams
	p.Target = "2.4.7"
	return root, e, p
}

// expectRefused checks that a refused apply changed nothing and left the lock alone.
func expectRefused(t *testing.T, root string, before map[string]string, lock, owner string) {
	t.Helper()
	if diff := testenv.DiffDigests(before, testenv.Digest(t, root, guarded...)); diff != "" {
		t.Errorf("a refused apply changed files:\n%s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(lock, "owner")); err != nil || string(b) != owner {
		t.Errorf("the lock's owner file changed: %q, %v (want %q)", b, err, owner)
	}
}

// With keep = 1, pruning leaves only the new archive of this root among ours,
// and never touches a name it did not write: near misses, names with a newline or a
// space, a link with a valid name (nor its target outside), another root's archives,
// a directory, or a file of another user.
func TestChangeShellPruneTouchesOnlyOurNames(t *testing.T) {
	for _, sh := range changeShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			root, e, p := shellRoot(t, "")
			p.Keep = 1
			if err := os.MkdirAll(p.BackupDir, 0o700); err != nil {
				t.Fatal(err)
			}
			prefix := ArchivePrefixFor(root)
			stamp := prefix + "20250101T000000Z-"
			oldOurs := []string{stamp + "100.tar.gz", prefix + "20240101T000000Z-101.tar.gz"}
			outside := filepath.Join(t.TempDir(), "precious.tar.gz")
			kept := map[string]string{ // name -> content ("" for the special ones)
				prefix + "junk.tar.gz":                                       "junk",
				stamp + "12x.tar.gz":                                         "junk",
				stamp + ".tar.gz":                                            "junk",
				prefix + "2025010T000000Z-5.tar.gz":                          "junk",
				stamp + "1.tar.gz\n" + stamp + "2.tar.gz":                    "newline",
				stamp + "3 " + stamp + "4.tar.gz":                            "space",
				stamp + "1Z-2.tar.gz":                                        "junk",
				"x" + stamp + "6.tar.gz":                                     "junk",
				ArchivePrefixFor("/srv/other") + "20250101T000000Z-8.tar.gz": "other root",
				stamp + "7.tar.gz":                                           "", // a link to outside
				stamp + "9.tar.gz":                                           "", // a directory
			}
			for _, name := range oldOurs {
				if err := os.WriteFile(filepath.Join(p.BackupDir, name), []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for name, content := range kept {
				if content != "" {
					if err := os.WriteFile(filepath.Join(p.BackupDir, name), []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := os.WriteFile(outside, []byte("precious"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, filepath.Join(p.BackupDir, stamp+"7.tar.gz")); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(p.BackupDir, stamp+"9.tar.gz", "inside"), 0o700); err != nil {
				t.Fatal(err)
			}
			if os.Geteuid() == 0 { // a valid name, but another user's file
				foreign := filepath.Join(p.BackupDir, stamp+"10.tar.gz")
				if err := os.WriteFile(foreign, []byte("nobody's"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Lchown(foreign, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				kept[stamp+"10.tar.gz"] = "nobody's"
			}

			res, err := Change(context.Background(), sh.runner(""), e, p)
			if err != nil || res.Installed != "2.4.7" {
				t.Fatalf("apply: %+v, %v", res, err)
			}
			var wantPruned []string
			for _, name := range oldOurs {
				wantPruned = append(wantPruned, filepath.Join(p.BackupDir, name))
			}
			slices.Sort(wantPruned)
			gotPruned := slices.Sorted(slices.Values(res.Pruned))
			if !slices.Equal(gotPruned, wantPruned) {
				t.Errorf("pruned %q, want %q", gotPruned, wantPruned)
			}
			entries, err := os.ReadDir(p.BackupDir)
			if err != nil {
				t.Fatal(err)
			}
			var left, want []string
			for _, entry := range entries {
				left = append(left, entry.Name())
			}
			want = append(want, filepath.Base(res.Archive))
			for name := range kept {
				want = append(want, name)
			}
			slices.Sort(left)
			slices.Sort(want)
			if !slices.Equal(left, want) {
				t.Errorf("the backup directory holds\n%q\nwant\n%q", left, want)
			}
			for name, content := range kept {
				if content == "" {
					continue
				}
				if b, err := os.ReadFile(filepath.Join(p.BackupDir, name)); err != nil || string(b) != content {
					t.Errorf("%q changed: %q, %v", name, b, err)
				}
			}
			if target, err := os.Readlink(filepath.Join(p.BackupDir, stamp+"7.tar.gz")); err != nil || target != outside {
				t.Errorf("the link was touched: %q, %v", target, err)
			}
			if b, err := os.ReadFile(outside); err != nil || string(b) != "precious" {
				t.Errorf("the link's target outside the backup directory changed: %q, %v", b, err)
			}
		})
	}
}

// A restore that fails (tar cannot write: a full disk; or the archive lacks a
// member) leaves the root as the failed Composer left it, says RESTORE FAILED with the
// reason, and keeps the lock and its marker; the next apply finishes the owed restore
// and then the apply.
func TestChangeShellFailedRestoreLeavesTheRoot(t *testing.T) {
	for _, sh := range changeShells(t) {
		for _, tc := range []struct {
			name, tool, when, then, reason string
		}{
			// Only the restore extracts the whole archive: tar -xzof - -C DIR.
			{"disk full", "tar", `[ $# -eq 4 ] && [ "$1" = -xzof ] && [ "$3" = -C ]`,
				`echo "tar: composer.lock: Cannot write: No space left on device" >&2; exit 2`,
				"tar: composer.lock: Cannot write: No space left on device"},
			{"member missing", "tar", `[ $# -eq 4 ] && [ "$1" = -xzof ] && [ "$3" = -C ]`,
				`"$real" "$@" || exit; rm -f "$4/composer.lock"; exit 0`, "lacks composer.lock"},
			// The swap: vendor/composer cannot be moved into place (after composer.json
			// and composer.lock were); the ones placed are put back.
			{"swap fails", "mv", `[ $# -eq 2 ] && [ "$2" = "$root/vendor/composer" ] && case $1 in */new/vendor/composer) true ;; *) false ;; esac`,
				`echo "mv: cannot move '$1' to '$2': Permission denied" >&2; exit 1`, "moving vendor/composer into place failed"},
		} {
			t.Run(sh.name+"/"+tc.name, func(t *testing.T) {
				snap := t.TempDir()
				// Composer writes, then fails; a copy of what it left is taken first.
				root, e, p := shellRoot(t, `composer "$@"
mkdir -p '`+snap+`/vendor/magento'
cp -a composer.json composer.lock '`+snap+`/'
cp -a vendor/composer '`+snap+`/vendor/'
cp -a vendor/magento/data-migration-tool '`+snap+`/vendor/magento/'
exit 1`)
				shims := t.TempDir()
				writeShim(t, filepath.Join(shims, tc.tool), "real="+shell.Quote(sh.tool(tc.tool))+"; root="+shell.Quote(root)+"\n"+
					"if "+tc.when+"; then "+tc.then+"; fi\n"+`exec "$real" "$@"`)
				asComposerLeftIt := func(t *testing.T) {
					t.Helper()
					if diff := testenv.DiffDigests(testenv.Digest(t, snap, guarded...), testenv.Digest(t, root, guarded...)); diff != "" {
						t.Fatalf("the root is not as Composer left it:\n%s", diff)
					}
					if _, err := os.Stat(filepath.Join(p.BackupDir, "owed")); err != nil {
						t.Fatalf("the owed-restore record must stay: %v", err)
					}
					if left, _ := filepath.Glob(filepath.Join(root, ".tf-magento-dmt-*")); len(left) != 0 {
						t.Errorf("work directories left in the root: %v", left)
					}
				}
				_, err := Change(context.Background(), sh.runner(shims), e, p)
				var ce *ChangeError
				if !errors.As(err, &ce) || ce.Restored || ce.Archive == "" {
					t.Fatalf("want a ChangeError that did not restore, got %#v", err)
				}
				if msg := err.Error(); !strings.Contains(msg, "RESTORE FAILED") || !strings.Contains(msg, tc.reason) {
					t.Fatalf("want RESTORE FAILED and %q in the error, got %s", tc.reason, msg)
				}
				asComposerLeftIt(t)
				for _, path := range guarded[:3] {
					if _, err := os.Stat(filepath.Join(root, path)); err != nil {
						t.Errorf("%s is gone after a failed restore: %v", path, err)
					}
				}
				if req := composerRequirement(t, root); req != "2.4.7" {
					t.Errorf("composer.json requires %q, want 2.4.7 as Composer left it", req)
				}

				// The next apply, the shim still there: the owed restore fails the same way.
				_, err = Change(context.Background(), sh.runner(shims), e, p)
				if err == nil || !strings.Contains(err.Error(), "restoring "+ce.Archive+", left by an interrupted apply, failed") ||
					!strings.Contains(err.Error(), tc.reason) {
					t.Fatalf("want the owed restore to fail saying why, got %v", err)
				}
				asComposerLeftIt(t)
				lock := filepath.Join(root, "var", lockName)

				// The shim gone, the next apply restores first, then upgrades.
				e.Composer = fakeComposer(t, "PATH=/usr/local/bin:/usr/bin:/bin; export PATH\nexec composer \"$@\"")
				res, err := Change(context.Background(), sh.runner(""), e, p)
				if err != nil {
					t.Fatalf("the next apply: %v", err)
				}
				warnings := strings.Join(res.Warnings, "\n")
				if res.Previous != "2.4.6" || res.Installed != "2.4.7" || !strings.Contains(warnings, "took over the lock") ||
					!strings.Contains(warnings, "restored "+ce.Archive) {
					t.Fatalf("want the owed restore, then the upgrade: %+v", res)
				}
				if composerRequirement(t, root) != "2.4.7" {
					t.Fatalf("composer.json requires %q", composerRequirement(t, root))
				}
				if _, err := os.Stat(lock); !os.IsNotExist(err) {
					t.Fatalf("the lock was not released: %v", err)
				}
			})
		}
	}
}

// thisSystem is what change.sh records of this host beside the PID: the boot id, the
// machine id ("-" without one) and the PID namespace.
func thisSystem(t *testing.T) (boot, machine, pidns string) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Skipf("no boot id: %v", err)
	}
	boot = strings.TrimSpace(string(b))
	machine = "-"
	if m, err := os.ReadFile("/etc/machine-id"); err == nil && strings.TrimSpace(string(m)) != "" {
		machine = strings.TrimSpace(string(m))
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	pidns = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, ns)
	return boot, machine, pidns
}

// startTime is field 22 of /proc/PID/stat: the start time in clock ticks since boot.
func startTime(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndex(s, ")")+2:])[19]
}

// liveProcess starts `sleep 60` and returns its PID (killed when the test ends).
func liveProcess(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// Liveness from the PID, host name, boot id, start time, machine id and PID
// namespace: a live holder here is waited for; a holder of another boot, or whose PID
// was reused, is taken over; a clone with our host name is another host; a legacy
// "PID HOST START" owner with a live PID is held.
func TestChangeShellTakesOverOnlyAHolderProvenDead(t *testing.T) {
	boot, machine, pidns := thisSystem(t)
	pid := liveProcess(t)
	start := startTime(t, pid)
	host := thisHost(t)
	ticks, err := strconv.Atoi(start)
	if err != nil {
		t.Fatal(err)
	}
	owner := func(boot, pstart, machine, pidns string) string {
		return fmt.Sprintf("%d %s 2026-11-25T10:00:00Z %s %s %s %s", pid, host, boot, pstart, machine, pidns)
	}
	for _, sh := range changeShells(t) {
		for _, tc := range []struct{ name, owner, want string }{
			{"live holder here", owner(boot, start, machine, pidns), "another apply holds the lock"},
			{"another boot", owner("00000000-0000-4000-8000-000000000000", start, machine, pidns), "took over"},
			{"PID reused", owner(boot, strconv.Itoa(ticks+1), machine, pidns), "took over"},
			{"clone with our host name", owner(boot, start, "0123456789abcdef0123456789abcdef", pidns), "locked by an apply on another host"},
			{"container on our kernel", owner(boot, start, machine, "4026000001"), "locked by an apply on another host"},
			{"legacy owner, live PID", fmt.Sprintf("%d %s 2026-11-25T10:00:00Z", pid, host), "another apply holds the lock"},
		} {
			t.Run(sh.name+"/"+tc.name, func(t *testing.T) {
				root, e, p := shellRoot(t, "")
				before := testenv.Digest(t, root, guarded...)
				lock := writeLock(t, root, tc.owner)
				res, err := Change(context.Background(), sh.runner(""), e, p)
				if tc.want == "took over" {
					if err != nil || res.Installed != "2.4.7" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "took over the lock "+lock) {
						t.Fatalf("want the lock taken over with a warning: %+v, %v", res, err)
					}
					if _, err := os.Stat(lock); !os.IsNotExist(err) {
						t.Fatalf("the lock was not released: %v", err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strconv.Itoa(pid)+" "+host) {
					t.Fatalf("want %q naming the holder, got %v", tc.want, err)
				}
				expectRefused(t, root, before, lock, tc.owner+"\n")
			})
		}
	}
}

// writeShim writes an executable sh script.
func writeShim(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil { //nolint:gosec // a test shim
		t.Fatal(err)
	}
}
