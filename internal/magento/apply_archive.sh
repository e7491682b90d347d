# shellcheck shell=sh
# The archives, in the backup directory (private: the state directory unless
# backup.directory names another that passes the same check). An archive is written by
# the applier, 0600, from the owner's tar on a pipe; it gets its final name only once it
# reads back, and is synced to disk before Composer may start. Pruning matches this
# root's exact names: prefix, UTC time, PID.
#
# Set by the renderer: backup_dir, archive_prefix, keep, backed_up. Uses say, fail,
# owner_do, root, state.
# shellcheck disable=SC2154

archive=""; members=""; part=""

# why ERR: the line of tar's (or gzip's) complaint that says what went wrong.
why() { printf '%s\n' "$1" | grep -i -m 1 -e 'space' -e 'cannot' -e 'denied' -e 'error' || printf '%s\n' "$1" | head -n 1; }

# room DIR NEED_KB WHAT: fail before writing when DIR's filesystem has less than
# NEED_KB free (df -P is POSIX; a df that cannot tell skips the check).
room() {
  avail=$(df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }')
  case "$avail" in ''|*[!0-9]*) return 0 ;; esac
  [ "$avail" -ge "$2" ] || fail disk-full "$2 $avail $3 $1"
}

# archive_name NAME: is NAME (no directory) exactly what backup writes for this root?
archive_name() {
  case "$1" in "$archive_prefix"[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z-[0-9]*.tar.gz) ;; *) return 1 ;; esac
  pid=${1#"$archive_prefix"*Z-}; pid=${pid%.tar.gz}
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
}

# backup_dir_ready: the backup directory, private (made 0700 when missing).
backup_dir_ready() {
  # The state directory passed private_dir in this run already.
  if [ -n "$backup_dir" ] && [ "$backup_dir" != "$state" ]; then
    private_dir "$backup_dir" backup
    backup_dir=$private
  else
    backup_dir=$state
  fi
  uid_of "$backup_dir"
  # The group's and others' bits: characters 5 to 10 of the mode.
  others=${ls_mode#????}; others=${others%"${others#??????}"}
  case "$others" in *[rwx]*) say "@warning the backup directory $backup_dir can be read by other users (${ls_mode%%[.+@]*}); its archives are private (0600), but chmod 700 it to hide their names too" ;; esac
  # An interrupted write of an earlier apply left its part: it may hold config.xml.
  for old in "$backup_dir/$archive_prefix"*.tar.gz.part; do
    [ -f "$old" ] && [ ! -L "$old" ] && [ -O "$old" ] && rm -f "$old"
  done
}

# backup: archive the members (change.sh's survey: the backed-up paths that exist, and
# need, the room they take); sets archive. The owner's tar streams them uncompressed and
# gzip -1 compresses here: the fastest level, about a quarter less CPU than tar -z's default
# for about a third more bytes (a 500-package shop: 128 KB against 94 KB).
backup() {
  stamp
  archive="$backup_dir/$archive_prefix$stamp-$$.tar.gz"
  case "$need" in ''|*[!0-9]*) need=64 ;; esac
  room "$backup_dir" "$need" archive
  part="$archive.part"
  # The directory is private: no one else can have put anything at these names.
  old_umask=$(umask); umask 077
  errf="$state/tar-errors.$$"
  # The owner's tar on a pipe; both statuses come back on fd 3 (a full disk fails gzip).
  # shellcheck disable=SC2086
  rc=$( { { owner_do tar_out "$root" $members 2>"$errf"; printf 't%s ' "$?" >&3; } | { gzip -1 > "$part" 2>>"$errf.cat"; printf 'c%s ' "$?" >&3; }; } 3>&1 )
  umask "$old_umask"
  case "$rc" in *t0*c0*|*c0*t0*) rc=0 ;; esac
  if [ "$rc" != 0 ]; then
    err=$(cat "$errf.cat" "$errf" 2>/dev/null); rm -f "$errf" "$errf.cat" "$part"; part=""
    fail backup "tar could not write $archive: $(why "$err")"
  fi
  rm -f "$errf" "$errf.cat"
  gzip -t "$part" 2>/dev/null || { rm -f "$part"; part=""; fail backup "$archive is not readable after writing it"; }
  # One apply, one start and PID per name: a name taken means a clock set back.
  if [ -e "$archive" ] || [ -L "$archive" ]; then rm -f "$part"; part=""; fail backup "$archive exists already"; fi
  mv "$part" "$archive" || { rm -f "$part"; part=""; fail backup "cannot rename $part to $archive"; }
  part=""
  durable "$archive"
}

# stamp: sets stamp to the apply's start (started, apply_lock.sh) as archive names
# have it: 2026-12-08T01:07:24Z as 20261208T010724Z.
stamp() {
  set -f; old_ifs=$IFS; IFS=-:
  # $started split on - and :, on purpose.
  # shellcheck disable=SC2086
  set -- $started
  IFS=$old_ifs; set +f
  stamp="$1$2$3$4$5"
}

# durable FILE...: flush to disk (a power cut must not leave an empty archive or record
# behind Composer's deletions). sync with names is newer than POSIX: else everything.
durable() { sync -- "$@" 2>/dev/null || sync; }

# prune: newest first by the UTC timestamp in the name, then by PID within a second.
# Only exact names of ours, in the backup directory, regular files of the applying user,
# never the archive this apply made.
prune() {
  # At most keep of this root's names (a wider glob than archive_name): nothing to prune.
  set -- "$backup_dir/$archive_prefix"*.tar.gz
  { [ -e "$1" ] || [ -L "$1" ]; } && [ "$#" -gt "$keep" ] || return 0
  for file in "$backup_dir/$archive_prefix"*.tar.gz; do
    name=${file##*/}
    archive_name "$name" && [ -f "$file" ] && [ ! -L "$file" ] && [ -O "$file" ] && printf '%s %s %s\n' "${name%%Z-*}" "$pid" "$name"
  done | sort -k1,1r -k2,2nr | awk -v keep="$keep" 'NR > keep { print $3 }' | while IFS= read -r name; do
    [ "$backup_dir/$name" = "$archive" ] && continue
    rm -f -- "$backup_dir/$name" && say "@pruned $backup_dir/$name"
  done
}
