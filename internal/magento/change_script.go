package magento

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// ArchivePrefix starts the name of every archive this provider writes; pruning only
// ever touches files with this prefix.
const ArchivePrefix = "tf-magento-dmt-"

// archivePrefix names the archives of one root: ArchivePrefix, then a short hash of the
// root's path, so roots that share a backup directory prune only their own.
func archivePrefix(root string) string {
	sum := sha256.Sum256([]byte(strings.TrimSuffix(root, "/")))
	return ArchivePrefix + hex.EncodeToString(sum[:4]) + "-"
}

// lockName is the lock directory inside <root>/var: mkdir is atomic, so two applies
// on one root never both hold it.
const lockName = ".tf-magento-dmt.lock"

// backedUp is what an archive holds and a restore puts back, relative to the root.
// vendor/composer carries installed.json and the autoloader, which must match vendor/.
var backedUp = []string{fileRootJSON, fileLock, "vendor/composer", dirDMT}

// changeBody is the apply sequence, run as ONE shell process so the lock, the backup
// and the rollback share one lifetime: lock, re-read, back up (verified, private),
// optional setup:backup, composer require/remove, verify, restore preserve_paths,
// prune. Any failure after composer started, and any INT/TERM/HUP (Ctrl-C in Terraform
// closes the channel; the watchdog sends TERM), restores everything the archive holds.
//
// Shared roots: several web nodes may mount one root, so the lock names its host and a
// lock of another host is never taken over; a holder gone from this host is replaced
// atomically (mkdir of "takeover" admits one apply, the owner file is swapped with mv).
// While files may differ from the archive, "$lock/changing" names it; once a restore
// starts no signal can stop it, and the marker (and so the lock) stays until a restore
// succeeds, so the next apply finishes it, after checking the archive is one of ours.
//
// Output lines start with @ so Go can parse them. They go to fd 4, a copy of stdout:
// a trap may run while a redirection (composer's log) is active.
const changeBody = `trap '' PIPE
exec 4>&1
say() { printf '%s\n' "$*" >&4; }
lock="$root/var/` + lockName + `"
me=$(hostname 2>/dev/null || uname -n)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
owned=0; changing=0; archive=""; log=""; old_files=""
cleanup() {
  [ -n "$log" ] && rm -f "$log"
  [ -n "$old_files" ] && rm -f "$old_files"
  [ "$owned" = 1 ] && [ ! -f "$lock/changing" ] && rm -rf "$lock"
}
restore() {
  for p in $backed_up; do rm -rf "$root/$p"; done
  if tar -xzf "$1" -C "$root"; then rm -f "$lock/changing"; say "@restored $1"; else say "@restore-failed $1"; fi
}
fail() {
  if [ "$changing" = 1 ]; then trap '' INT TERM HUP; changing=0; restore "$archive"; else say "@unchanged"; fi
  say "@fail $*"; exit 1
}
on_signal() { trap '' INT TERM HUP; fail interrupted; }
trap cleanup EXIT
trap on_signal INT TERM HUP

# ours ARCHIVE: an archive this provider wrote for this root: in the backup directory,
# with this root's prefix, a regular file (not a link) owned by the applying user.
ours() {
  case "$1" in "$backup_dir/$archive_prefix"*.tar.gz) ;; *) return 1 ;; esac
  case "${1#"$backup_dir/"}" in */*) return 1 ;; esac
  [ -f "$1" ] && [ ! -L "$1" ] && [ -O "$1" ]
}

installed() {
  [ -d "$root/` + dirDMT + `" ] || return 0
  v=$(x "$root/` + fileInstalled + `" installed | awk '$3 == "` + Package + `" { print $4; exit }')
  [ -n "$v" ] || v=$(x "$root/` + fileDMTJSON + `" dmt | awk '{ print $4; exit }')
  printf '%s' "$v"
}

mkdir -p "$root/var" || fail lock "cannot create $root/var"
if mkdir "$lock" 2>/dev/null; then
  owned=1
  printf '%s %s %s\n' "$$" "$me" "$started" > "$lock/owner"
else
  holder=$(cat "$lock/owner" 2>/dev/null)
  pid=${holder%% *}; host=${holder#* }; host=${host%% *}
  case "$pid" in ''|*[!0-9]*) say "@fail lock-unknown $lock"; exit 1 ;; esac
  [ "$host" = "$me" ] || { say "@fail lock-foreign $lock $holder"; exit 1; }
  [ ! -d "/proc/$pid" ] || { say "@fail locked $lock $holder"; exit 1; }
  mkdir "$lock/takeover" 2>/dev/null || { say "@fail locked $lock $holder (another apply is taking it over)"; exit 1; }
  if [ "$(cat "$lock/owner" 2>/dev/null)" != "$holder" ]; then rmdir "$lock/takeover"; say "@fail locked $lock"; exit 1; fi
  printf '%s %s %s\n' "$$" "$me" "$started" > "$lock/owner.new" && mv -f "$lock/owner.new" "$lock/owner" || fail lock "cannot write $lock/owner"
  owned=1
  rmdir "$lock/takeover"
  say "@warning took over the lock $lock left by a process that is gone ($holder)"
  if [ -f "$lock/changing" ]; then
    owed=$(cat "$lock/changing")
    if ! ours "$owed"; then say "@fail marker $lock/changing names $owed"; exit 1; fi
    trap '' INT TERM HUP
    restore "$owed"
    [ ! -f "$lock/changing" ] || { say "@fail restore-owed $owed"; exit 1; }
    trap on_signal INT TERM HUP
    say "@warning restored $owed, left by the interrupted apply"
  fi
fi

current=$(installed)
say "@current $current"
if [ "$mode" = require ] && [ "$current" = "$target" ]; then say "@installed $current"; exit 0; fi
if [ "$mode" = remove ] && [ ! -d "$root/` + dirDMT + `" ]; then say "@installed "; exit 0; fi

if [ ! -d "$backup_dir" ]; then
  mkdir -p "$(dirname "$backup_dir")" && mkdir -m 700 "$backup_dir" || fail backup "cannot create the backup directory $backup_dir"
else
  case $(ls -ld "$backup_dir" | cut -c5-10) in *[rwx]*) say "@warning the backup directory $backup_dir can be read by other users ($(ls -ld "$backup_dir" | cut -c1-10)); its archives are private (0600), but chmod 700 it to hide their names too" ;; esac
fi
archive="$backup_dir/$archive_prefix$(date -u +%Y%m%dT%H%M%SZ)-$$.tar.gz"
members=""
for p in $backed_up; do [ -e "$root/$p" ] && members="$members $p"; done
# noclobber: the archive is a new file (O_EXCL), never one planted there or a link out
# of the directory (var/ is often writable by the web server's user).
(umask 077 && set -C && tar -czf - -C "$root" $members > "$archive") || fail backup "tar could not write $archive (or it existed already)"
tar -tzf "$archive" >/dev/null || fail backup "$archive is not readable after writing it"
say "@backup $archive"

if [ -n "$setup_backup" ]; then
  out=$(cd "$root" && "$php" bin/magento setup:backup $setup_backup 2>&1); rc=$?
  case "$out" in *"functionality is currently disabled"*) fail setup-backup-disabled ;; esac
  [ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -n 10 | sed 's/^/@output /' >&4; fail setup-backup "exit $rc"; }
fi

log=$(mktemp "${TMPDIR:-/tmp}/tf-magento-composer.XXXXXX") || fail composer "mktemp failed"
# The old tool directory's files, to carry the ones the new release lacks (the
# operator's config.xml and map files, which Composer deletes).
if [ "$carry" = 1 ] && [ "$mode" = require ] && [ -d "$root/` + dirDMT + `" ]; then
  old_files=$(mktemp "${TMPDIR:-/tmp}/tf-magento-files.XXXXXX") || fail composer "mktemp failed"
  (cd "$root/` + dirDMT + `" && find . -type f) > "$old_files" || fail backup "cannot list the tool's files"
fi
printf '%s\n' "$archive" > "$lock/changing" || fail lock "cannot write $lock/changing"
changing=1
if [ "$mode" = require ]; then
  run_composer require "` + Package + `:$target" --no-interaction --no-progress --no-ansi > "$log" 2>&1
else
  run_composer remove ` + Package + ` --no-interaction --no-progress --no-ansi > "$log" 2>&1
fi
rc=$?
if [ "$rc" != 0 ]; then tail -n 15 "$log" | sed 's/^/@output /' >&4; fail composer "exit $rc"; fi

now=$(installed)
if [ "$mode" = require ] && [ "$now" != "$target" ]; then tail -n 15 "$log" | sed 's/^/@output /' >&4; fail verify "$now"; fi
if [ "$mode" = remove ] && [ -d "$root/` + dirDMT + `" ]; then fail verify "the tool's directory is still there"; fi

# Still "changing": an interrupted copy restores the state before the apply.
if [ -n "$old_files" ]; then
  while IFS= read -r f; do
    f=${f#./}
    [ -e "$root/` + dirDMT + `/$f" ] && continue
    tar -xzf "$archive" -C "$root" "` + dirDMT + `/$f" || fail carry "$f"
    say "@carried $f"
  done < "$old_files"
fi
for p in "$@"; do
  tar -xzf "$archive" -C "$root" "` + dirDMT + `/$p" 2>/dev/null || say "@warning preserve_paths entry $p is not in the backup; nothing copied"
done
changing=0; rm -f "$lock/changing"
ls -1t "$backup_dir/$archive_prefix"*.tar.gz 2>/dev/null | awk -v k="$keep" 'NR > k' | while IFS= read -r f; do rm -f -- "$f" && say "@pruned $f"; done
say "@installed $now"
`

// ChangeParams is one apply on one root.
type ChangeParams struct {
	Root          string
	Remove        bool   // composer remove instead of require
	Target        string // exact version for require
	BackupDir     string
	Keep          int
	SetupBackup   []string // code, db, media
	PreservePaths []string // relative to the tool's directory
	// CarryCustomFiles copies every file of the old tool directory that the new release
	// does not ship into the new version.
	CarryCustomFiles bool
}

// changeScript renders the whole script; every value is quoted.
func changeScript(e Exec, p ChangeParams) string {
	mode := "require"
	if p.Remove {
		mode = "remove"
	}
	var flags []string
	for _, item := range p.SetupBackup {
		flags = append(flags, "--"+item) // items are validated against SetupBackupItems
	}
	var b strings.Builder
	b.WriteString("IFS= read -r auth\n")
	carry := 0
	if p.CarryCustomFiles {
		carry = 1
	}
	fmt.Fprintf(&b, "root=%s; mode=%s; target=%s; backup_dir=%s; archive_prefix=%s; keep=%s; php=%s; setup_backup=%s; backed_up=%s; carry=%d\n",
		shell.Quote(p.Root), mode, shell.Quote(p.Target), shell.Quote(strings.TrimSuffix(p.BackupDir, "/")), shell.Quote(archivePrefix(p.Root)),
		strconv.Itoa(p.Keep), shell.Quote(e.php()), shell.Quote(strings.Join(flags, " ")), shell.Quote(strings.Join(backedUp, " ")), carry)
	b.WriteString("set --")
	for _, path := range p.PreservePaths {
		b.WriteString(" " + shell.Quote(path))
	}
	b.WriteString("\n")
	b.WriteString(extractPrelude)
	b.WriteString(e.composerFunction(p.Root))
	b.WriteString(changeBody)
	return b.String()
}
