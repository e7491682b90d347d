# shellcheck shell=sh
# Restores, and the owed-restore record. While files may differ from the archive,
# $state/owed (private) names the archive, when the apply started, what the archive
# holds and the physical root; it is synced to disk before Composer starts and removed
# only after a restore (or the apply) completed. Nothing else ever makes a restore owed.
# The next apply on this root finishes an owed restore first, unless the root has moved
# on since (later work is never reverted).
#
# Uses (and sets) phase; uses say, owner_do, durable, private_dir, backup, root, state, started, backed_up,
# archive_prefix.
# shellcheck disable=SC2154,SC2034

# owe: write the record (a new file, synced, renamed into place, the directory synced).
owe() {
  if printf '%s\n%s\n%s\n%s\n' "$archive" "$started" "$members" "$root" > "$state/owed.$$" &&
    durable "$state/owed.$$" && mv -f "$state/owed.$$" "$state/owed"; then
    durable "$state"
  else
    rm -f "$state/owed.$$"; fail lock "cannot write $state/owed"
  fi
}

# paid: the restore (or the apply) completed: the record goes, after the files are on disk.
paid() { rm -f "$state/owed"; durable "$state"; }

# restore_from ARCHIVE MEMBERS: the owner puts the root back from ARCHIVE (read here,
# from the private directory, and piped to the owner's tar). "@restored" only after the
# swap and the sync; otherwise "@restore-failed WHY" and the record stays.
restore_from() {
  out=$(owner_do restore_in "$root" "$2" "$backed_up" < "$1")
  case "$out" in
    *@swapped*) paid; say "@restored $1"; return 0 ;;
  esac
  failed=$(printf '%s\n' "$out" | grep -m 1 '^@restore-failed ')
  say "${failed:-@restore-failed the restore as $owner ended without a report; the root is as the failed apply left it}"
  return 1
}

# owed_restore: finish the restore an interrupted apply of this root owes, if any.
owed_restore() {
  [ -f "$state/owed" ] || return 0
  { IFS= read -r owed; IFS= read -r owed_started; IFS= read -r owed_members; IFS= read -r owed_root; } < "$state/owed"
  say "@owed $owed"
  if [ "$owed_root" != "$root" ]; then refuse "owed-elsewhere $owed_started $owed_root $state/owed"; fi
  case "${owed##*/}" in "$archive_prefix"*.tar.gz) ;; *) refuse "owed-missing $owed_started $state/owed" ;; esac
  { [ -f "$owed" ] && [ ! -L "$owed" ] && [ -O "$owed" ]; } || { refuse "owed-missing $owed_started $state/owed"; }
  # An archive in a backup directory set before: still one of ours if that is private.
  private_dir "${owed%/*}" backup
  [ -n "$owed_members" ] || owed_members=$backed_up
  check_members=""
  for member in $owed_members; do
    case "$member" in composer.json|composer.lock) check_members="$check_members $member" ;; esac
  done
  # $check_members: one word per file, split on purpose.
  # shellcheck disable=SC2086
  out=$(owner_do moved_on "$root" $check_members < "$owed")
  case "$out" in
    *@check-failed*) refuse "check-failed $(printf '%s\n' "$out" | sed -n 's/^@check-failed //p' | head -n 1)" ;;
    *@checked*) ;;
    *) refuse "check-failed php ($php) could not compare composer.json and composer.lock with the archive's" ;;
  esac
  differs=$(printf '%s\n' "$out" | sed -n 's/^@differs //p')
  if [ -n "$differs" ]; then
    printf '%s\n' "$differs" | head -n 20 | sed 's/^/@differs /' >&4
    refuse "moved-on $owed_started $state/owed"
  fi
  backup_dir_ready
  backup
  say "@warning archived what the interrupted apply left in $archive before restoring"
  trap '' INT TERM HUP
  if ! restore_from "$owed" "$owed_members"; then refuse "restore-owed $owed"; fi
  say "@owed-restored $owed"
  trap on_signal INT TERM HUP
  say "@warning restored $owed, left by the interrupted apply of $owed_started"
  # The root is now what $owed holds: it is this apply's backup too.
  archive=$owed; members=$owed_members
  phase=owed_restored
}
