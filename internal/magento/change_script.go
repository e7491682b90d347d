package magento

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// ArchivePrefix starts the name of every archive this provider writes; pruning only
// ever touches files with this prefix.
const ArchivePrefix = "tf-magento-dmt-"

// lockName is the lock directory inside <root>/var: mkdir is atomic, so two applies
// on one root never both hold it.
const lockName = ".tf-magento-dmt.lock"

// backedUp is what an archive holds and a restore puts back, relative to the root.
// vendor/composer carries installed.json and the autoloader, which must match vendor/.
var backedUp = []string{fileRootJSON, fileLock, "vendor/composer", dirDMT}

// changeBody is the apply sequence, run as ONE shell process so the lock, the backup
// and the rollback share one lifetime: lock, re-read, back up (verified), optional
// setup:backup, composer require/remove, verify, restore preserve_paths, prune. Any
// failure after composer started, and any INT/TERM (Ctrl-C in Terraform closes the
// channel; the watchdog sends TERM), restores everything the archive holds.
// Output lines start with @ so Go can parse them. They go to fd 4, a copy of stdout:
// a trap may run while a redirection (composer's log) is active.
const changeBody = `trap '' PIPE
exec 4>&1
say() { printf '%s\n' "$*" >&4; }
lock="$root/var/` + lockName + `"
owned=0; changing=0; archive=""; log=""
cleanup() { [ -n "$log" ] && rm -f "$log"; [ "$owned" = 1 ] && rm -rf "$lock"; }
restore() {
  for p in ` + "$backed_up" + `; do rm -rf "$root/$p"; done
  if tar -xzf "$archive" -C "$root"; then say "@restored $archive"; else say "@restore-failed $archive"; fi
}
fail() { if [ "$changing" = 1 ]; then changing=0; restore; rm -f "$lock/changing"; else say "@unchanged"; fi; say "@fail $*"; exit 1; }
on_signal() { trap '' INT TERM HUP; fail interrupted; }
trap cleanup EXIT
trap on_signal INT TERM HUP

installed() {
  [ -d "$root/` + dirDMT + `" ] || return 0
  v=$(x "$root/` + fileInstalled + `" installed | awk '$3 == "` + Package + `" { print $4; exit }')
  [ -n "$v" ] || v=$(x "$root/` + fileDMTJSON + `" dmt | awk '{ print $4; exit }')
  printf '%s' "$v"
}

mkdir -p "$root/var" || fail lock "cannot create $root/var"
if ! mkdir "$lock" 2>/dev/null; then
  holder=$(cat "$lock/owner" 2>/dev/null)
  pid=${holder%% *}
  case "$pid" in ''|*[!0-9]*) pid="" ;; esac
  if [ -z "$pid" ] || [ -d "/proc/$pid" ]; then say "@fail locked $lock $holder"; exit 1; fi
  say "@warning took over the lock $lock left by a process that is gone ($holder)"
  if [ -f "$lock/changing" ]; then
    # That apply died between composer and its own restore: finish the restore first.
    archive=$(cat "$lock/changing")
    if [ -f "$archive" ]; then restore; say "@warning restored $archive, left by the interrupted apply"; fi
    archive=""
  fi
  rm -rf "$lock"
  mkdir "$lock" 2>/dev/null || { say "@fail locked $lock"; exit 1; }
fi
owned=1
printf '%s %s %s\n' "$$" "$(hostname 2>/dev/null || uname -n)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$lock/owner"

current=$(installed)
say "@current $current"
if [ "$mode" = require ] && [ "$current" = "$target" ]; then say "@installed $current"; exit 0; fi
if [ "$mode" = remove ] && [ ! -d "$root/` + dirDMT + `" ]; then say "@installed "; exit 0; fi

mkdir -p "$backup_dir" || fail backup "cannot create the backup directory $backup_dir"
archive="$backup_dir/` + ArchivePrefix + `$(date -u +%Y%m%dT%H%M%SZ)-$$.tar.gz"
members=""
for p in ` + "$backed_up" + `; do [ -e "$root/$p" ] && members="$members $p"; done
tar -czf "$archive" -C "$root" $members || fail backup "tar could not write $archive"
tar -tzf "$archive" >/dev/null || fail backup "$archive is not readable after writing it"
say "@backup $archive"

if [ -n "$setup_backup" ]; then
  out=$(cd "$root" && "$php" bin/magento setup:backup $setup_backup 2>&1); rc=$?
  case "$out" in *"functionality is currently disabled"*) fail setup-backup-disabled ;; esac
  [ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -n 10 | sed 's/^/@output /' >&4; fail setup-backup "exit $rc"; }
fi

log=$(mktemp "${TMPDIR:-/tmp}/tf-magento-composer.XXXXXX") || fail composer "mktemp failed"
printf '%s\n' "$archive" > "$lock/changing"
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
changing=0; rm -f "$lock/changing"

for p in "$@"; do
  tar -xzf "$archive" -C "$root" "` + dirDMT + `/$p" 2>/dev/null || say "@warning preserve_paths entry $p is not in the backup; nothing copied"
done
ls -1 "$backup_dir"/` + ArchivePrefix + `*.tar.gz 2>/dev/null | sort -r | awk -v k="$keep" 'NR > k' | while IFS= read -r f; do rm -f -- "$f" && say "@pruned $f"; done
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
	fmt.Fprintf(&b, "root=%s; mode=%s; target=%s; backup_dir=%s; keep=%s; php=%s; setup_backup=%s; backed_up=%s\n",
		remote.Quote(p.Root), mode, remote.Quote(p.Target), remote.Quote(p.BackupDir), strconv.Itoa(p.Keep),
		remote.Quote(e.php()), remote.Quote(strings.Join(flags, " ")), remote.Quote(strings.Join(backedUp, " ")))
	b.WriteString("set --")
	for _, path := range p.PreservePaths {
		b.WriteString(" " + remote.Quote(path))
	}
	b.WriteString("\n")
	b.WriteString(extractPrelude)
	b.WriteString(e.composerFunction(p.Root))
	b.WriteString(changeBody)
	return b.String()
}
