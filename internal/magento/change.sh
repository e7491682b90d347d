# shellcheck shell=sh
# The apply sequence, run as ONE shell process so the lock, the backup
# and the rollback share one lifetime: lock, re-read, back up (verified, private),
# optional setup:backup, composer require/remove, verify, restore preserve_paths,
# prune. Any failure after composer started, and any INT/TERM/HUP (Ctrl-C in Terraform
# closes the channel; the watchdog sends TERM), restores everything the archive holds.
#
# Shared roots: several web nodes may mount one root, so the lock names its host and a
# lock of another host is never taken over; a holder gone from this host is replaced
# atomically (mkdir of "takeover" admits one apply, the owner file is swapped with mv).
# While files may differ from the archive, "$lock/changing" names it; once a restore
# starts no signal can stop it, and the marker (and so the lock) stays until a restore
# succeeds, so the next apply finishes it, after checking the archive is one of ours.
#
# Output lines start with @ so Go can parse them. They go to fd 4, a copy of stdout:
# a trap may run while a redirection (composer's log) is active.
#
# Set by the renderer (scripts.go): auth (read from stdin), root, mode (require or
# remove), target, backup_dir, archive_prefix, keep, php, setup_backup, backed_up,
# carry, package, tool_dir, lock_name, the preserve_paths as "$@", and run_composer
# (exec.go). Needs extract.sh.
# shellcheck disable=SC2154
trap '' PIPE
exec 4>&1
say() { printf '%s\n' "$*" >&4; }
lock="$root/var/$lock_name"
me=$(hostname 2>/dev/null || uname -n)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
owned=0; changing=0; archive=""; log=""; old_files=""
cleanup() {
  [ -n "$log" ] && rm -f "$log"
  [ -n "$old_files" ] && rm -f "$old_files"
  [ "$owned" = 1 ] && [ ! -f "$lock/changing" ] && rm -rf "$lock"
}
restore() {
  for path in $backed_up; do rm -rf "${root:?}/$path"; done
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
  [ -d "$root/$tool_dir" ] || return 0
  version=$(extract_packages "$root/vendor/composer/installed.json" installed | awk -v package="$package" '$3 == package { print $4; exit }')
  [ -n "$version" ] || version=$(extract_packages "$root/$tool_dir/composer.json" dmt | awk '{ print $4; exit }')
  printf '%s' "$version"
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
  { printf '%s %s %s\n' "$$" "$me" "$started" > "$lock/owner.new" && mv -f "$lock/owner.new" "$lock/owner"; } || fail lock "cannot write $lock/owner"
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
if [ "$mode" = remove ] && [ ! -d "$root/$tool_dir" ]; then say "@installed "; exit 0; fi

if [ ! -d "$backup_dir" ]; then
  { mkdir -p "$(dirname "$backup_dir")" && mkdir -m 700 "$backup_dir"; } || fail backup "cannot create the backup directory $backup_dir"
else
  # The mode of one directory: POSIX has no stat(1).
  # shellcheck disable=SC2012
  case $(ls -ld "$backup_dir" | cut -c5-10) in *[rwx]*) say "@warning the backup directory $backup_dir can be read by other users ($(ls -ld "$backup_dir" | cut -c1-10)); its archives are private (0600), but chmod 700 it to hide their names too" ;; esac
fi
archive="$backup_dir/$archive_prefix$(date -u +%Y%m%dT%H%M%SZ)-$$.tar.gz"
members=""
for path in $backed_up; do [ -e "$root/$path" ] && members="$members $path"; done
# noclobber: the archive is a new file (O_EXCL), never one planted there or a link out
# of the directory (var/ is often writable by the web server's user).
# $members: one word per path, split on purpose.
# shellcheck disable=SC2086
(umask 077 && set -C && tar -czf - -C "$root" $members > "$archive") || fail backup "tar could not write $archive (or it existed already)"
tar -tzf "$archive" >/dev/null || fail backup "$archive is not readable after writing it"
say "@backup $archive"

if [ -n "$setup_backup" ]; then
  # $setup_backup: one word per flag (--code --db ...), split on purpose.
  # shellcheck disable=SC2086
  out=$(cd "$root" && "$php" bin/magento setup:backup $setup_backup 2>&1); rc=$?
  case "$out" in *"functionality is currently disabled"*) fail setup-backup-disabled ;; esac
  [ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -n 10 | sed 's/^/@output /' >&4; fail setup-backup "exit $rc"; }
fi

log=$(mktemp "${TMPDIR:-/tmp}/tf-magento-composer.XXXXXX") || fail composer "mktemp failed"
# The old tool directory's files, to carry the ones the new release lacks (the
# operator's config.xml and map files, which Composer deletes).
if [ "$carry" = 1 ] && [ "$mode" = require ] && [ -d "$root/$tool_dir" ]; then
  old_files=$(mktemp "${TMPDIR:-/tmp}/tf-magento-files.XXXXXX") || fail composer "mktemp failed"
  (cd "$root/$tool_dir" && find . -type f) > "$old_files" || fail backup "cannot list the tool's files"
fi
printf '%s\n' "$archive" > "$lock/changing" || fail lock "cannot write $lock/changing"
changing=1
if [ "$mode" = require ]; then
  run_composer require "$package:$target" --no-interaction --no-progress --no-ansi > "$log" 2>&1
else
  run_composer remove "$package" --no-interaction --no-progress --no-ansi > "$log" 2>&1
fi
rc=$?
if [ "$rc" != 0 ]; then tail -n 15 "$log" | sed 's/^/@output /' >&4; fail composer "exit $rc"; fi

now=$(installed)
if [ "$mode" = require ] && [ "$now" != "$target" ]; then tail -n 15 "$log" | sed 's/^/@output /' >&4; fail verify "$now"; fi
if [ "$mode" = remove ] && [ -d "$root/$tool_dir" ]; then fail verify "the tool's directory is still there"; fi

# Still "changing": an interrupted copy restores the state before the apply.
if [ -n "$old_files" ]; then
  while IFS= read -r file; do
    file=${file#./}
    [ -e "$root/$tool_dir/$file" ] && continue
    tar -xzf "$archive" -C "$root" "$tool_dir/$file" || fail carry "$file"
    say "@carried $file"
  done < "$old_files"
fi
for path in "$@"; do
  tar -xzf "$archive" -C "$root" "$tool_dir/$path" 2>/dev/null || say "@warning preserve_paths entry $path is not in the backup; nothing copied"
done
changing=0; rm -f "$lock/changing"
# Newest first by time: ls -t (archive names are ours, one line each).
# shellcheck disable=SC2012
ls -1t "$backup_dir/$archive_prefix"*.tar.gz 2>/dev/null | awk -v keep="$keep" 'NR > keep' | while IFS= read -r file; do rm -f -- "$file" && say "@pruned $file"; done
say "@installed $now"
