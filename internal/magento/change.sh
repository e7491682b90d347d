# shellcheck shell=sh
# The apply sequence, run as the SSH user (the applier) in ONE shell process, so that
# the locks, the backup and the rollback share one lifetime: resolve the root and its
# owner, lock, check the plan, finish an owed restore, back up (verified, private,
# synced), take one of the host's Composer slots (checking again that the shop did not
# change during the wait), optional setup:backup, composer require/remove as the owner,
# verify, carry custom files, restore preserve_paths, prune. Any failure after Composer started, and any
# INT/TERM/HUP (Ctrl-C in Terraform closes the channel; the watchdog sends TERM),
# stops the owner's processes and restores everything the archive holds.
#
# The parts: apply_owner.sh (who touches what, the state directory), apply_lock.sh,
# apply_slots.sh (the host's Composer slots), apply_archive.sh, apply_restore.sh, and
# owner_tasks.sh (what runs as the owner).
# The root is resolved once to its physical path; a `current` switch during the apply
# is reported (@moved), never followed.
#
# Output lines start with @ (change_lines.go lists them) and go to fd 4, a copy of
# stdout: a trap may run while a redirection (Composer's log) is active.
#
# Set by the renderer (change_script.go): auth (read from stdin), root, mode (require
# or remove), target, php, setup_backup, carry, package, tool_dir, the preserve_paths
# as "$@", and what the parts need.
# shellcheck disable=SC2154,SC2034
trap '' PIPE
exec 4>&1
configured_root=$root; root=""
# phase: before (nothing touched), owed_restored (an owed restore put the root back to
# this apply's backup), setup-backup (bin/magento setup:backup running), setup-done (it
# ran), changing (files may differ from the archive), installed (pruning).
phase=before; log=""; old_files=""; maintenance_before=1; in_setup_backup=0


# moved: the configured root now names another directory (a deploy switched `current`).
moved() {
  [ -n "$root" ] || return 0
  resolved=$(cd "$configured_root" 2>/dev/null && pwd -P)
  [ "$resolved" = "$root" ] || say "@moved $root ${resolved:--}"
}

# maintenance_back: setup:backup runs inside maintenance mode and leaves it on when it
# is killed; a shop that was not in maintenance mode before is taken out of it again.
maintenance_back() {
  [ "$maintenance_before" = 0 ] && owner_do test -e "$root/var/.maintenance.flag" >/dev/null || return 0
  if owner_do magento_in "$root" maintenance:disable >/dev/null 2>&1 </dev/null && ! owner_do test -e "$root/var/.maintenance.flag" >/dev/null; then
    say "@maintenance off"
  else
    say "@maintenance left-on"
  fi
}

fail() {
  trap '' INT TERM HUP
  stop_child
  [ "$in_setup_backup" = 0 ] || maintenance_back
  case "$phase" in
    changing) phase=before; restore_from "$archive" "$members" ;;
    owed_restored) say "@restored $archive" ;;
    setup-backup|setup-done) say "@files-unchanged" ;;
    before) say "@unchanged" ;;
  esac
  moved
  say "@fail $*"; exit 1
}
on_signal() { fail interrupted; }

cleanup() {
  [ -n "$part" ] && rm -f "$part"
  [ -n "$log" ] && rm -f "$log"
  [ -n "$old_files" ] && rm -f "$old_files"
  # A restore still owed keeps the shared lock: other web nodes must not start on a
  # root this one left half-changed. This node's next apply takes it over.
  [ -n "$state" ] && [ -f "$state/owed" ] && slock_owned=0
  drop_slot
  release_locks
}
# From here on a stop reports what happened (the watchdog's TERM may come at once).
trap cleanup EXIT
trap on_signal INT TERM HUP
root=$(cd "$configured_root" 2>/dev/null && pwd -P) || { refuse "no-root $configured_root"; }

resolve_owner "$root"
state_dir
private_lock
shared_lock

# survey: the owner's survey of the root (owner_tasks.sh) into seen_magento, seen_tool,
# sections, need (the archive's room), tool_need (Composer's room in vendor/, "-" without
# the tool's directory), fingerprint (what the backup holds, to tell after the wait for a
# slot whether it still holds the shop) and not_owned, for the archive's members. The
# owner's answers are data: fixed lines, then "n PATH" lines.
survey() {
  # $members: one word per path, split on purpose.
  # shellcheck disable=SC2086
  rest=$(owner_do survey "$root" $members)$nl
  seen_magento=${rest%%"$nl"*}; rest=${rest#*"$nl"}
  seen_tool=${rest%%"$nl"*}; rest=${rest#*"$nl"}
  sections=${rest%%"$nl"*}; rest=${rest#*"$nl"}
  need=${rest%%"$nl"*}; rest=${rest#*"$nl"}
  tool_need=${rest%%"$nl"*}; rest=${rest#*"$nl"}
  fingerprint=${rest%%"$nl"*}; not_owned=${rest#*"$nl"}
  case "$tool_need" in -) ;; ''|*[!0-9]*) tool_need=64 ;; esac
}

# seen_versions: seen_magento and seen_tool, as the owner reads them now.
seen_versions() {
  seen=$(owner_do versions "$root")
  seen_magento=${seen%%"$nl"*}
  case "$seen" in *"$nl"*) seen_tool=${seen#*"$nl"}; seen_tool=${seen_tool%%"$nl"*} ;; *) seen_tool="" ;; esac
}

# What the archive takes: the backed-up paths that exist. An owed restore sets it to
# what its archive holds, which becomes this apply's backup.
members=""
for path in $backed_up; do { [ -e "$root/$path" ] || [ -L "$root/$path" ]; } && members="$members $path"; done

# Inside the lock: the plan must still hold. After the wait for the host's Composer
# slot it is checked again (below), so nothing seen before Composer runs is stale.
survey
if [ -n "$expect_magento" ] && [ "$seen_magento" != "$expect_magento" ]; then refuse "stale magento ${seen_magento:--}"; fi
if [ "$check_installed" = true ] && [ "$seen_tool" != "$expect_installed" ]; then refuse "stale tool ${seen_tool:--}"; fi
owed_restore

# An owed restore put other files back: the root is surveyed again.
[ "$phase" = before ] || survey
current=$seen_tool
say "@current $current"
if [ "$mode" = require ] && [ "$current" = "$target" ]; then moved; say "@installed $current"; exit 0; fi
if [ "$mode" = remove ] && [ "$tool_need" = - ]; then moved; say "@installed "; exit 0; fi

# Before anything runs: files the owner's Composer could not replace.
if [ -n "$not_owned" ]; then
  printf '%s' "$not_owned" | sed -n 's/^n /@not-owned /p' >&4
  fail not-owned "$owner"
fi

# The tool stays in the section composer.json has it in: without --dev, a
# non-interactive composer require moves it from require-dev to require.
dev=""
case "$sections" in
  "require"*|"none"*) ;;
  *) fail section "php ($php) could not read composer.json and composer.lock to tell require from require-dev" ;;
esac
case "$sections" in
  "require-dev packages") dev=--dev; say "@warning composer.json has $package in require-dev, but composer.lock lists it under packages (not packages-dev); the apply keeps it in require-dev. Run composer update --lock to bring the lock in line." ;;
  "require packages-dev") say "@warning composer.json has $package in require, but composer.lock lists it under packages-dev; the apply keeps it in require. Run composer update --lock to bring the lock in line." ;;
  require-dev*) dev=--dev ;;
esac

if [ -z "$archive" ]; then backup_dir_ready; backup; fi
say "@backup $archive"
# Composer unpacks the new release next to the old one before removing it.
if [ "$mode" = require ] && [ "$tool_need" != - ]; then room "$root/vendor" "$tool_need" composer; fi

# slot_checked: takes one of the host's per_host_parallelism slots (apply_slots.sh).
# Waiting for it let others act on the shop: Magento upgraded (the plan is stale), or
# what the backup holds changed (a rollback to it, or preserve_paths and carried files
# copied from it, would lose that change). Either way nothing more runs.
slot_checked() {
  take_slot
  [ "$slot_waited" = 1 ] || return 0
  slot_waited=0
  [ "$(owner_do fingerprint_sum "$root")" != "$fingerprint" ] || return 0
  seen_versions
  if [ -n "$expect_magento" ] && [ "$seen_magento" != "$expect_magento" ]; then fail "stale magento ${seen_magento:--}"; fi
  if [ "$check_installed" = true ] && [ "$phase" = before ] && [ "$seen_tool" != "$expect_installed" ]; then fail "stale tool ${seen_tool:--}"; fi
  fail waited-changed
}

# The checks and the backup above ran beside other roots' Composers; what loads the host
# from here (setup:backup, Composer) runs in one of its slots.
if [ -n "$setup_backup" ]; then
  slot_checked
  owner_do test -e "$root/var/.maintenance.flag" >/dev/null || maintenance_before=0
  [ "$phase" = owed_restored ] || phase=setup-backup
  in_setup_backup=1
  out_file="$state/setup-backup.$$"
  # $setup_backup: one word per flag (--code --db ...), split on purpose.
  # shellcheck disable=SC2086
  owner_wait magento_in "$root" setup:backup $setup_backup > "$out_file" 2>&1 </dev/null; rc=$?
  out=$(cat "$out_file"); rm -f "$out_file"
  case "$out" in *"functionality is currently disabled"*) fail setup-backup-disabled ;; esac
  [ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -n 10 | sed 's/^/@output /' >&4; fail setup-backup "exit $rc"; }
  maintenance_back
  in_setup_backup=0
  [ "$phase" = owed_restored ] || phase=setup-done
fi

log="$state/composer.$$"
# The old tool directory's files and links, to carry the ones the new release lacks
# (the operator's config.xml and map files, which Composer deletes).
if [ "$carry" = 1 ] && [ "$mode" = require ] && [ "$tool_need" != - ]; then
  old_files="$state/files.$$"
  owner_do list_files "$root/$tool_dir" > "$old_files" || fail backup "cannot list the tool's files"
fi
slot_checked
owe
phase=changing
if [ "$mode" = require ]; then
  # $dev: --dev or nothing, split on purpose.
  # shellcheck disable=SC2086
  owner_wait composer_in "$root" require $dev "$package:$target" --no-interaction --no-progress --no-ansi > "$log" 2>&1 <<EOF
$auth
EOF
else
  # shellcheck disable=SC2086
  owner_wait composer_in "$root" remove $dev "$package" --no-interaction --no-progress --no-ansi > "$log" 2>&1 <<EOF
$auth
EOF
fi
rc=$?
drop_slot # Composer is done: the next apply's may start
if [ "$rc" != 0 ]; then tail -n 15 "$log" | sed 's/^/@output /' >&4; fail composer "exit $rc"; fi

seen_versions; now=$seen_tool
if [ "$mode" = require ] && [ "$now" != "$target" ]; then tail -n 15 "$log" | sed 's/^/@output /' >&4; fail verify "$now"; fi
if [ "$mode" = remove ] && owner_do test -d "$root/$tool_dir" >/dev/null; then fail verify "the tool's directory is still there"; fi

# Still "changing": an interrupted copy restores the state before the apply.
if [ -n "$old_files" ]; then
  missing=$(owner_do missing_files "$root/$tool_dir" < "$old_files")
  if [ -n "$missing" ]; then
    while IFS= read -r file; do
      owner_do tar_in "$root" "$tool_dir/$file" < "$archive" >/dev/null || fail carry "$file"
      say "@carried $file"
    done <<EOF
$missing
EOF
  fi
fi
for path in "$@"; do
  owner_do tar_in "$root" "$tool_dir/$path" < "$archive" >/dev/null 2>/dev/null || say "@warning preserve_paths entry $path is not in the backup; nothing copied"
done
# Installed: from here a signal changes nothing, pruning is short and finishes.
trap '' INT TERM HUP
phase=installed; paid
prune
moved
say "@installed $now"
