# shellcheck shell=sh
# The apply sequence, run as ONE shell process so the lock, the backup
# and the rollback share one lifetime: lock, re-read, back up (verified, private),
# optional setup:backup, composer require/remove, verify, restore preserve_paths,
# prune. Any failure after composer started, and any INT/TERM/HUP (Ctrl-C in Terraform
# closes the channel; the watchdog sends TERM), restores everything the archive holds.
#
# Trust: var/ is writable by the web server's user. A lock, owner file, marker or
# backup directory is used only when the applying user owns it and group and others
# cannot write it; archives are new regular files; pruning matches our exact names.
#
# Shared roots: several web nodes may mount one root, so the lock names its host, boot
# id and start time, and a lock of another host is never taken over; a holder gone from
# this host is replaced atomically ("takeover" admits one apply, and names it). A lock
# appears with its owner file inside (made in a private directory, then renamed).
# While files may differ from the archive, "$lock/changing" names it; once a restore
# starts no signal can stop it, and the marker (and so the lock) stays until a restore
# succeeds. The next apply finishes it, after checking the archive is one of ours and
# that the root has not moved on since (later work is never reverted).
#
# Output lines start with @ so Go can parse them (protocol.go lists them). They go to
# fd 4, a copy of stdout: a trap may run while a redirection (composer's log) is active.
#
# Set by the renderer (change_script.go): auth (read from stdin), root, mode (require
# or remove), target, backup_dir, archive_prefix, keep, php, setup_backup, backed_up,
# carry, package, tool_dir, lock_name, moved_on_php (moved_on.php), the preserve_paths
# as "$@", and run_composer (exec.go). Needs extract.sh.
# shellcheck disable=SC2154
trap '' PIPE
exec 4>&1
say() { printf '%s\n' "$*" >&4; }
lock="$root/var/$lock_name"
me=$(hostname 2>/dev/null || uname -n)
user=$(id -un 2>/dev/null || echo "uid $(id -u)")
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) || boot=""
[ -n "$boot" ] || boot=-
machine=$(cat /etc/machine-id 2>/dev/null) || machine=""
[ -n "$machine" ] || machine=-
pidns=$(readlink /proc/self/ns/pid 2>/dev/null | tr -dc '0-9') || pidns=""
[ -n "$pidns" ] || pidns=-
# phase: before (nothing touched), setup-backup (bin/magento setup:backup running),
# setup-done (it ran: not "nothing changed" any more), changing (files may differ from the
# archive), installed (pruning).
phase=before; owned=0; archive=""; archive_src=""; members=""; log=""; old_files=""; maintenance_before=1

# start_of PID: the process's start time in clock ticks since boot (field 22 of
# /proc/PID/stat; the command name before it may hold spaces and parentheses).
start_of() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }
mystart=$(start_of $$); [ -n "$mystart" ] || mystart=-

# alive PID BOOT START: is this host's lock holder still running? PIDs repeat after a
# reboot (boot id) and are reused (start time). hidepid hides other users' processes
# only, and a trusted lock's holder ran as this user: a missing /proc entry is a dead
# holder, a stat that cannot be read counts as alive. Without a boot id (BusyBox
# without procfs) or for a holder that recorded none (an older provider): alive while
# /proc/PID exists.
alive() {
  if [ "$boot" = - ] || [ -z "$2" ] || [ "$2" = - ]; then [ -d "/proc/$1" ]; return; fi
  [ "$2" = "$boot" ] || return 1
  [ -d "/proc/$1" ] || return 1
  [ -z "$3" ] || [ "$3" = - ] && return 0
  ticks=$(start_of "$1")
  [ -z "$ticks" ] || [ "$ticks" = "$3" ]
}

# trusted PATH: owned by the applying user, not writable by group or others, not a
# link. Otherwise report it (owner, mode, who applies) and fail before any change. A
# path that is gone (another apply just released it) returns 1.
trusted() {
  # POSIX has no stat(1): the mode and owner of one path from ls -ld.
  # shellcheck disable=SC2012
  if [ ! -L "$1" ] && [ -O "$1" ]; then
    case $(ls -ld "$1" 2>/dev/null | cut -c1-10) in '') return 1 ;; ?????w*|????????w*) ;; *) return 0 ;; esac
  fi
  # shellcheck disable=SC2012
  set -- "$1" "$(ls -ld "$1" 2>/dev/null | awk '{ print substr($1, 1, 10), $3 }')"
  [ -n "$2" ] || return 1
  [ ! -L "$1" ] || set -- "$1" "symlink ${2#* }"
  # Ours and private after all: it was replaced in between (another apply's release).
  case "${2%% *}" in symlink|?????w*|????????w*) ;; *) [ "${2#* }" != "$user" ] || return 1 ;; esac
  say "@fail untrusted ${2#* } ${2%% *} $user $1"; exit 1
}

# release DIR: DIR vanishes in one step as others see it (renamed into a private
# directory, then removed), so no apply ever finds it without its owner file.
release() {
  if aside=$(mktemp -d "$1.XXXXXX"); then
    mv "$1" "$aside/" && rm -rf "$aside" && return 0
    rm -rf "$aside"
  fi
  rm -rf "$1"
}

cleanup() {
  [ -n "$log" ] && rm -f "$log"
  [ -n "$old_files" ] && rm -f "$old_files"
  [ "$owned" = 1 ] && [ ! -f "$lock/changing" ] && release "$lock"
}

# restore SOURCE MEMBERS ARCHIVE: extract SOURCE (the archive, read through the file
# descriptor this apply holds on it) into a private directory inside the root, check that
# every member arrived, then swap each backed-up path (the current one moved aside, the
# archived one moved in); a path the archive does not hold did not exist before and is
# removed. "@restored" only after the swap; otherwise the root is put back as it was.
restore() {
  work=$(mktemp -d "$root/.tf-magento-dmt-restore.XXXXXX") || { say "@restore-failed cannot create a directory in $root; the root is as the failed apply left it"; return 1; }
  mkdir "$work/new" "$work/old" || { rm -rf "$work"; say "@restore-failed cannot create a directory in $work; the root is as the failed apply left it"; return 1; }
  if ! err=$(tar -xzf "$1" -C "$work/new" 2>&1); then
    rm -rf "$work"; say "@restore-failed extracting $3 failed ($(printf '%s\n' "$err" | tail -n 1)); the root is as the failed apply left it"; return 1
  fi
  for path in $2; do
    [ -e "$work/new/$path" ] || [ -L "$work/new/$path" ] || { rm -rf "$work"; say "@restore-failed $3 lacks $path; the root is as the failed apply left it"; return 1; }
  done
  aside=""; placed=""; broke=""
  for path in $backed_up; do
    if [ -e "$root/$path" ] || [ -L "$root/$path" ]; then
      case "$path" in */*) parent=${path%/*} ;; *) parent=. ;; esac
      { mkdir -p "$work/old/$parent" && mv "$root/$path" "$work/old/$path"; } || { broke=$path; break; }
      aside="$path $aside"
    fi
    if [ -e "$work/new/$path" ] || [ -L "$work/new/$path" ]; then
      case "$path" in */*) parent=${path%/*} ;; *) parent=. ;; esac
      { mkdir -p "$root/$parent" && mv "$work/new/$path" "$root/$path"; } || { broke=$path; break; }
      placed="$path $placed"
    fi
  done
  if [ -n "$broke" ]; then
    undone=1
    for path in $placed; do rm -rf "${root:?}/$path" || undone=0; done
    for path in $aside; do mv "$work/old/$path" "$root/$path" || undone=0; done
    if [ "$undone" = 1 ]; then rm -rf "$work"; say "@restore-failed moving $broke into place failed; the root is as the failed apply left it"
    else say "@restore-failed moving $broke into place failed, and putting the root back failed too: the files before the restore are in $work/old, the archive's in $work/new"; fi
    return 1
  fi
  rm -rf "$work"
  rm -f "$lock/changing"
  say "@restored $3"
}

# maintenance_back: setup:backup runs inside maintenance mode and leaves it on when it
# is killed; a shop that was not in maintenance mode before is taken out of it again.
maintenance_back() {
  [ "$maintenance_before" = 0 ] && [ -e "$root/var/.maintenance.flag" ] || return 0
  if (cd "$root" && "$php" bin/magento maintenance:disable) >/dev/null 2>&1 </dev/null && [ ! -e "$root/var/.maintenance.flag" ]; then
    say "@maintenance off"
  else
    say "@maintenance left-on"
  fi
}

fail() {
  trap '' INT TERM HUP
  case "$phase" in
    changing) phase=before; restore "$archive_src" "$members" "$archive" ;;
    setup-backup) maintenance_back; say "@files-unchanged" ;;
    setup-done) say "@files-unchanged" ;;
    before) say "@unchanged" ;;
  esac
  say "@fail $*"; exit 1
}
on_signal() { fail interrupted; }
trap cleanup EXIT
trap on_signal INT TERM HUP

# ours ARCHIVE: an archive this provider wrote for this root: in the backup directory,
# with this root's prefix, a regular file (not a link) owned by the applying user.
ours() {
  case "$1" in "$backup_dir/$archive_prefix"*.tar.gz) ;; *) return 1 ;; esac
  case "${1#"$backup_dir/"}" in */*) return 1 ;; esac
  [ -f "$1" ] && [ ! -L "$1" ] && [ -O "$1" ]
}

# archive_name NAME: is NAME (no directory) exactly what backup writes for this root:
# prefix, UTC timestamp, PID, .tar.gz? Pruning touches nothing else.
archive_name() {
  case "$1" in "$archive_prefix"[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z-[0-9]*.tar.gz) ;; *) return 1 ;; esac
  pid=${1#"$archive_prefix"*Z-}; pid=${pid%.tar.gz}
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
}

installed() {
  [ -d "$root/$tool_dir" ] || return 0
  version=$(extract_packages "$root/vendor/composer/installed.json" installed | awk -v package="$package" '$3 == package { print $4; exit }')
  [ -n "$version" ] || version=$(extract_packages "$root/$tool_dir/composer.json" dmt | awk '{ print $4; exit }')
  printf '%s' "$version"
}

# backup_dir_ready: the backup directory exists, is ours and private to writes. A fleet's
# first apply creates it from several roots at once: mkdir losing that race is fine.
backup_dir_ready() {
  if [ ! -d "$backup_dir" ] || [ -L "$backup_dir" ]; then
    mkdir -p "${backup_dir%/*}" 2>/dev/null
    mkdir -m 700 "$backup_dir" 2>/dev/null || [ -d "$backup_dir" ] || fail backup "cannot create the backup directory $backup_dir"
  fi
  trusted "$backup_dir" || fail backup "the backup directory $backup_dir vanished"
  # shellcheck disable=SC2012
  case $(ls -ld "$backup_dir" | cut -c5-10) in *[rwx]*) say "@warning the backup directory $backup_dir can be read by other users ($(ls -ld "$backup_dir" | cut -c1-10)); its archives are private (0600), but chmod 700 it to hide their names too" ;; esac
}

# room DIR NEED_KB WHAT: fail before writing when DIR's filesystem has less than
# NEED_KB free (df -P is POSIX; a df that cannot tell skips the check).
room() {
  avail=$(df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }')
  case "$avail" in ''|*[!0-9]*) return 0 ;; esac
  [ "$avail" -ge "$2" ] || fail disk-full "$2 $avail $3 $1"
}

# same_file A B: do A and B (links followed) name one file? test -ef is not POSIX.
same_file() {
  [ -r "$1" ] && [ -r "$2" ] || return 1
  # shellcheck disable=SC2012
  a=$(ls -Ldi "$1" 2>/dev/null | awk '{ print $1 }')
  # shellcheck disable=SC2012
  b=$(ls -Ldi "$2" 2>/dev/null | awk '{ print $1 }')
  [ -n "$a" ] && [ "$a" = "$b" ]
}

# why ERR: the line of tar's (or gzip's) complaint that says what went wrong.
why() { printf '%s\n' "$1" | grep -i -m 1 -e 'space' -e 'cannot' -e 'denied' -e 'error' || printf '%s\n' "$1" | head -n 1; }

# backup: archive the backed-up paths that exist into a new file; sets archive and
# members. The archive is written under a name pruning never matches and renamed once
# it reads back, so a partial archive never counts as one (nor as last_backup).
backup() {
  archive="$backup_dir/$archive_prefix$(date -u +%Y%m%dT%H%M%SZ)-$$.tar.gz"
  part="$archive.part"
  # A FIFO, device or link at the name would be written into or through.
  for name in "$archive" "$part"; do
    if [ -e "$name" ] || [ -L "$name" ]; then fail backup "$name exists already (a file this apply did not write)"; fi
  done
  members=""
  for path in $backed_up; do { [ -e "$root/$path" ] || [ -L "$root/$path" ]; } && members="$members $path"; done
  # The paths' size with a tenth more: the archive is compressed, so this is an upper bound.
  # $members: one word per path, split on purpose.
  # shellcheck disable=SC2086
  need=$(cd "$root" && du -sk $members 2>/dev/null | awk '{ s += $1 } END { print int(s * 1.1) + 64 }')
  room "$backup_dir" "$need" archive
  # noclobber: the archive is a new name (an existing file, or a link to one, is refused;
  # an existing FIFO or device is opened: the check below refuses it), written through
  # fd 5, which this apply keeps: every later read goes through /proc/$$/fd/5, the file
  # this apply wrote, even if a directory above it is renamed and replaced (var/ is the
  # web server's user's). `command` keeps a failed exec from ending the shell.
  old_umask=$(umask); umask 077; set -C
  { command exec 5>"$part"; } 2>/dev/null || { set +C; umask "$old_umask"; fail backup "cannot create $part (or it exists already)"; }
  set +C; umask "$old_umask"
  # With /proc, only the descriptor counts, and it must be a regular file of ours (noclobber
  # opens an existing FIFO or device; a swapped directory could offer one). Without /proc
  # (BusyBox without procfs), reads go by path.
  archive_src=$part
  if [ -d "/proc/$$/fd" ]; then
    archive_src=/proc/$$/fd/5
    { [ -f "$archive_src" ] && [ -O "$archive_src" ]; } || fail backup "$part is not a new regular file of this apply (a FIFO, device or another user's file was put at its name)"
  fi
  # $members: one word per path, split on purpose.
  # shellcheck disable=SC2086
  if ! err=$(tar -czf - -C "$root" $members 2>&1 >&5); then
    [ -f "$part" ] && [ ! -L "$part" ] && [ -O "$part" ] && rm -f "$part"
    fail backup "tar could not write $archive: $(why "$err")"
  fi
  tar -tzf "$archive_src" >/dev/null 2>&1 || { rm -f "$part"; fail backup "$archive is not readable after writing it"; }
  mv "$part" "$archive" || { rm -f "$part"; fail backup "cannot rename $part to $archive"; }
  [ "$archive_src" != "$part" ] || archive_src=$archive
}

# owner_line: who holds the lock: PID, host name, start, then what tells this running
# system from others: boot id, the process's start time, machine id, PID namespace.
owner_line() { printf '%s %s %s %s %s %s %s\n' "$$" "$me" "$started" "$boot" "$mystart" "$machine" "$pidns"; }

# claim DIR: DIR appears with our owner file inside: a private directory made next to it
# is renamed to DIR. If DIR exists already, mv moves ours into it (or fails when another
# rename won): then we lost, and remove our directory.
claim() {
  [ ! -L "$1" ] || trusted "$1" || return 1
  new=$(mktemp -d "$1.XXXXXX") || fail lock "cannot create a directory next to $1"
  (set -C; owner_line > "$new/owner") 2>/dev/null || { rm -rf "$new"; fail lock "cannot write $new/owner"; }
  if [ ! -e "$1" ] && mv "$new" "$1" 2>/dev/null && [ ! -e "$1/${new##*/}" ]; then return 0; fi
  rm -rf "$new" "${1:?}/${new##*/}" 2>/dev/null
  return 1
}

# same_system HOST BOOT MACHINE PIDNS: does a holder's PID mean a process here? Another
# host (or a clone with our name but another machine id, or a container with another
# PID namespace on our kernel) is never judged by our PIDs. A holder that recorded no
# boot id (an older provider) or a host without one: the host name alone decides.
foreign() {
  [ "$1" = "$me" ] || return 0
  [ -n "$3" ] && [ "$3" != - ] && [ "$machine" != - ] && [ "$3" != "$machine" ] && return 0
  [ "$2" = "$boot" ] && [ -n "$4" ] && [ "$4" != - ] && [ "$pidns" != - ] && [ "$4" != "$pidns" ] && return 0
  return 1
}

# acquire: take the lock, or take over the lock of a holder that is gone from this
# host (finishing its owed restore first), or fail naming the holder.
acquire() {
  mkdir -p "$root/var" || fail lock "cannot create $root/var"
  claim "$lock" && { owned=1; return 0; }
  # Gone in between: its holder just released it. Another apply may take it: say so.
  trusted "$lock" || { say "@fail locked - - - $lock"; exit 1; }
  if [ -e "$lock/owner" ] || [ -L "$lock/owner" ]; then trusted "$lock/owner" || { say "@fail locked - - - $lock"; exit 1; }; fi
  holder=$(cat "$lock/owner" 2>/dev/null)
  [ -n "$holder" ] || [ -d "$lock" ] || { say "@fail locked - - - $lock"; exit 1; }
  # $holder: PID HOST START [BOOT PSTART MACHINE PIDNS], split on purpose.
  # shellcheck disable=SC2086
  set -- $holder
  case "$1" in ''|*[!0-9]*) owed_note; say "@fail lock-unknown $lock"; exit 1 ;; esac
  ! foreign "$2" "$4" "$6" "$7" || { owed_note; say "@fail lock-foreign $1 $2 $3 $lock"; exit 1; }
  if alive "$1" "$4" "$5"; then
    # Without boot ids, a PID that exists may be another process's: say how to clear it.
    if [ "$boot" = - ] || [ -z "$4" ] || [ "$4" = - ]; then say "@liveness-guessed"; fi
    owed_note; say "@fail locked $1 $2 $3 $lock"; exit 1
  fi
  dead="$1 $2 $3"; dead_started=$3
  if [ -e "$lock/changing" ] || [ -L "$lock/changing" ]; then trusted "$lock/changing" || { say "@fail locked - - - $lock"; exit 1; }; fi
  # "takeover" admits one apply; one left by a takeover that was killed is cleared by hand.
  if ! claim "$lock/takeover"; then
    trusted "$lock/takeover" || { say "@fail locked - - - $lock"; exit 1; }
    # shellcheck disable=SC2046
    set -- $(cat "$lock/takeover/owner" 2>/dev/null)
    # Gone in between: that takeover finished (or gave up); the lock is held.
    [ -n "$1" ] || [ -d "$lock/takeover" ] || { say "@fail locked - - - $lock"; exit 1; }
    if [ -z "$1" ] || { ! foreign "$2" "$4" "$6" "$7" && ! alive "$1" "$4" "$5"; }; then owed_note; say "@fail takeover-stale ${1:--} ${2:--} ${3:--} $lock"; exit 1; fi
    say "@fail taking-over $1 $2 $3 $lock"; exit 1
  fi
  if [ "$(cat "$lock/owner" 2>/dev/null)" != "$holder" ]; then release "$lock/takeover"; say "@fail locked - - - $lock"; exit 1; fi
  # A new name (noclobber refuses an existing file or a link to one), renamed over the owner.
  { (set -C; owner_line > "$lock/owner.$$") 2>/dev/null && mv -f "$lock/owner.$$" "$lock/owner"; } || { rm -f "$lock/owner.$$"; fail lock "cannot write $lock/owner"; }
  owned=1
  release "$lock/takeover"
  say "@warning took over the lock $lock left by a process that is gone ($dead)"
  [ -e "$lock/changing" ] || [ -L "$lock/changing" ] || return 0
  { IFS= read -r owed; IFS= read -r owed_started; IFS= read -r owed_members; } < "$lock/changing"
  [ -n "$owed_started" ] || owed_started=$dead_started
  # Read through fd 6 from here: the file checked is the file extracted, even if a
  # directory above it is swapped.
  owed_src=$owed
  if ours "$owed" && { command exec 6<"$owed"; } 2>/dev/null && [ -d "/proc/$$/fd" ]; then
    owed_src=/proc/$$/fd/6
  fi
  if ! ours "$owed" || [ -L "$owed" ] || ! same_file "$owed" "$owed_src" || ! [ -f "$owed_src" ] || ! [ -O "$owed_src" ]; then
    say "@fail marker $lock/changing names $owed"; exit 1
  fi
  moved_on "$owed_src"
  if [ -n "$differs" ]; then
    printf '%s\n' "$differs" | head -n 20 | sed 's/^/@differs /' >&4
    say "@fail moved-on $owed_started $lock"; exit 1
  fi
  [ -n "$owed_members" ] || owed_members=$backed_up
  backup_dir_ready
  backup
  say "@warning archived what the interrupted apply left in $archive before restoring"
  trap '' INT TERM HUP
  if ! restore "$owed_src" "$owed_members" "$owed"; then say "@fail restore-owed $owed"; exit 1; fi
  say "@owed-restored $owed"
  trap on_signal INT TERM HUP
  say "@warning restored $owed, left by the interrupted apply of $owed_started"
  # The root is now what $owed holds: it is this apply's backup too.
  archive=$owed; archive_src=$owed_src; members=$owed_members
}

# owed_note: a lock this apply cannot take may owe a restore: name the archive, for the
# operator who clears the lock by hand.
owed_note() {
  [ -f "$lock/changing" ] && [ ! -L "$lock/changing" ] || return 0
  IFS= read -r note < "$lock/changing" && [ -n "$note" ] && say "@owed $note"
}

# moved_on SOURCE: has the root moved on since the interrupted apply? Sets differs to
# what differs between composer.json/composer.lock now and in the archive, apart from
# the tool's own entries (empty when they match, or when a killed Composer left them
# missing or unparsable). Timestamps cannot tell: the interrupted Composer wrote after
# the marker. A check that cannot run fails the apply (it is not a difference).
moved_on() {
  differs=""
  check=$(mktemp -d "$root/.tf-magento-dmt-check.XXXXXX") || { say "@fail check-failed cannot create a directory in $root (a full disk?)"; exit 1; }
  listed=$(tar -tzf "$1" 2>/dev/null)
  for file in composer.json composer.lock; do
    if printf '%s\n' "$listed" | grep -qx "$file"; then
      err=$(tar -xzf "$1" -C "$check" "$file" 2>&1) || { rm -rf "$check"; say "@fail check-failed extracting $file from the archive failed: $(why "$err")"; exit 1; }
    fi
  done
  # Only tagged lines count: PHP's warnings (stdout or stderr) are not differences.
  out=$("$php" -r "$moved_on_php" "$check" "$root" "$package" 2>/dev/null </dev/null)
  rm -rf "$check"
  case "$out" in *@checked*) ;; *) say "@fail check-failed php ($php) could not compare composer.json and composer.lock with the archive's"; exit 1 ;; esac
  differs=$(printf '%s\n' "$out" | sed -n 's/^@differs //p')
}

acquire

current=$(installed)
say "@current $current"
if [ "$mode" = require ] && [ "$current" = "$target" ]; then say "@installed $current"; exit 0; fi
if [ "$mode" = remove ] && [ ! -d "$root/$tool_dir" ]; then say "@installed "; exit 0; fi

if [ -z "$archive" ]; then backup_dir_ready; backup; fi
say "@backup $archive"
# Composer unpacks the new release next to the old one before removing it.
if [ "$mode" = require ] && [ -d "$root/$tool_dir" ]; then
  room "$root/vendor" "$(du -sk "$root/$tool_dir" 2>/dev/null | awk '{ print int($1 * 1.1) + 64 }')" composer
fi

# The tool stays in the section composer.json has it in: without --dev, a
# non-interactive composer require moves it from require-dev to require.
dev=""
sections=$("$php" -r "$section_php" "$root" "$package" 2>/dev/null </dev/null | sed -n 's/^@section //p')
case "$sections" in
  "require"*|"none"*) ;;
  *) fail section "php ($php) could not read composer.json and composer.lock to tell require from require-dev" ;;
esac
case "$sections" in
  "require-dev packages") dev=--dev; say "@warning composer.json has $package in require-dev, but composer.lock lists it under packages (not packages-dev); the apply keeps it in require-dev. Run composer update --lock to bring the lock in line." ;;
  "require packages-dev") say "@warning composer.json has $package in require, but composer.lock lists it under packages-dev; the apply keeps it in require. Run composer update --lock to bring the lock in line." ;;
  require-dev*) dev=--dev ;;
esac

if [ -n "$setup_backup" ]; then
  [ -e "$root/var/.maintenance.flag" ] || maintenance_before=0
  phase=setup-backup
  # $setup_backup: one word per flag (--code --db ...), split on purpose.
  # shellcheck disable=SC2086
  out=$(cd "$root" && "$php" bin/magento setup:backup $setup_backup 2>&1 </dev/null); rc=$?
  case "$out" in *"functionality is currently disabled"*) fail setup-backup-disabled ;; esac
  [ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -n 10 | sed 's/^/@output /' >&4; fail setup-backup "exit $rc"; }
  maintenance_back
  phase=setup-done
fi

log=$(mktemp "${TMPDIR:-/tmp}/tf-magento-composer.XXXXXX") || fail composer "mktemp failed"
# The old tool directory's files and links, to carry the ones the new release lacks
# (the operator's config.xml and map files, which Composer deletes).
if [ "$carry" = 1 ] && [ "$mode" = require ] && [ -d "$root/$tool_dir" ]; then
  old_files=$(mktemp "${TMPDIR:-/tmp}/tf-magento-files.XXXXXX") || fail composer "mktemp failed"
  (cd "$root/$tool_dir" && find . \( -type f -o -type l \)) > "$old_files" || fail backup "cannot list the tool's files"
fi
# The marker: the archive, when this apply started, and what the archive holds.
# A new name (noclobber) renamed into place, never left half-written (a full var/): a
# marker either names the archive whole or is not there.
if ! { (set -C; printf '%s\n%s\n%s\n' "$archive" "$started" "$members" > "$lock/changing.$$") 2>/dev/null && mv -f "$lock/changing.$$" "$lock/changing"; }; then
  rm -f "$lock/changing.$$"; fail lock "cannot write $lock/changing"
fi
phase=changing
if [ "$mode" = require ]; then
  # $dev: --dev or nothing, split on purpose.
  # shellcheck disable=SC2086
  run_composer require $dev "$package:$target" --no-interaction --no-progress --no-ansi > "$log" 2>&1 </dev/null
else
  # shellcheck disable=SC2086
  run_composer remove $dev "$package" --no-interaction --no-progress --no-ansi > "$log" 2>&1 </dev/null
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
    [ -e "$root/$tool_dir/$file" ] || [ -L "$root/$tool_dir/$file" ] && continue
    tar -xzf "$archive_src" -C "$root" "$tool_dir/$file" || fail carry "$file"
    say "@carried $file"
  done < "$old_files"
fi
for path in "$@"; do
  tar -xzf "$archive_src" -C "$root" "$tool_dir/$path" 2>/dev/null || say "@warning preserve_paths entry $path is not in the backup; nothing copied"
done
# Installed: from here a signal changes nothing, pruning is short and finishes.
trap '' INT TERM HUP
phase=installed; rm -f "$lock/changing"
# Newest first: by the UTC timestamp in the name, then by PID within a second. Only
# exact names of ours, in the backup directory, regular files of the applying user.
for file in "$backup_dir/$archive_prefix"*.tar.gz; do
  name=${file##*/}
  archive_name "$name" && [ -f "$file" ] && [ ! -L "$file" ] && [ -O "$file" ] && printf '%s %s %s\n' "${name%%Z-*}" "$pid" "$name"
done | sort -k1,1r -k2,2nr | awk -v keep="$keep" 'NR > keep { print $3 }' | while IFS= read -r name; do
  [ "$backup_dir/$name" = "$archive" ] && continue
  rm -f -- "$backup_dir/$name" && say "@pruned $backup_dir/$name"
done
say "@installed $now"
