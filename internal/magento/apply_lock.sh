# shellcheck shell=sh
# The two locks. The private lock ($state/lock, made and read by the applying user only)
# is the one that admits an apply to the root's state: its holder is judged dead only
# on evidence, and then taken over. The shared lock (var/$lock_name, owner_tasks.sh) is
# advisory: web nodes sharing the root see an apply there, and whatever anyone does to it
# can at worst refuse an apply; the applier never writes, deletes or restores through it.
#
# Holder line: PID HOST START BOOT PSTART MACHINE PIDNS (host name, UTC start, boot id,
# the process's start in clock ticks, machine id, PID namespace; "-" when unknown).
#
# Set by the renderer: lock_name. Uses say, owner_do, state, root.
# shellcheck disable=SC2154

# The host name as hostname prints it (the UTS name), read without a process where it can be.
host=""; { IFS= read -r host < /proc/sys/kernel/hostname; } 2>/dev/null
[ -n "$host" ] || host=$(hostname 2>/dev/null || uname -n)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# One line each, read without a process.
boot=""; { IFS= read -r boot < /proc/sys/kernel/random/boot_id; } 2>/dev/null
[ -n "$boot" ] || boot=-
machine=""; { IFS= read -r machine < /etc/machine-id; } 2>/dev/null
[ -n "$machine" ] || { IFS= read -r machine < /var/lib/dbus/machine-id; } 2>/dev/null
[ -n "$machine" ] || machine=-
# readlink prints pid:[4026531836]; the digits are the namespace.
pidns=$(readlink /proc/self/ns/pid 2>/dev/null) || pidns=""
pidns=${pidns#*\[}; pidns=${pidns%\]}
case "$pidns" in *[!0-9]*) pidns="" ;; esac
[ -n "$pidns" ] || pidns=-
plock_owned=0; slock_owned=0

# start_now PID: sets pstart to PID's start time in clock ticks since boot (field 22 of
# /proc/PID/stat; the command name before it may hold spaces and parentheses), without
# a process; empty when it cannot be told.
start_now() {
  pstart=""
  case "$1" in ''|*[!0-9]*) return 0 ;; esac
  pstat=""; { IFS= read -r pstat < "/proc/$1/stat"; } 2>/dev/null
  pstat=${pstat##*) }
  set -f
  # shellcheck disable=SC2086
  set -- $pstat
  set +f
  [ $# -lt 20 ] || pstart=${20}
}
start_now $$; mystart=${pstart:--}
line="$$ $host $started $boot $mystart $machine $pidns"

# running PID: kill -0 finds the process (a process of another user answers "not
# permitted", which is running too).
running() {
  kill -0 "$1" 2>/dev/null && return 0
  case $(kill -0 "$1" 2>&1) in *ermi*) return 0 ;; esac
  return 1
}

# dead PID HOST START BOOT PSTART MACHINE PIDNS: true only on evidence that the holder
# is gone: this machine (the same recorded machine id), and an earlier boot, or this
# boot and PID namespace and no such process (kill -0 says so; a process of another
# user answers "not permitted", which is alive; a PID reused since has another start).
dead() {
  [ "$machine" != - ] && [ "$6" = "$machine" ] || return 1
  [ "$boot" != - ] && [ -n "$4" ] && [ "$4" != - ] || return 1
  [ "$4" = "$boot" ] || return 0
  [ "$pidns" != - ] && [ "$7" = "$pidns" ] || return 1
  case "$1" in ''|*[!0-9]*) return 1 ;; esac
  running "$1" || return 0
  [ -n "$5" ] && [ "$5" != - ] && [ -d "/proc/$1" ] || return 1
  start_now "$1"; [ "$pstart" != "$5" ]
}

# unsure HOLDER...: liveness of this holder cannot be told here (no machine id or boot
# id recorded or readable): the error then says how to clear the lock by hand.
unsure() { [ "$machine" = - ] || [ "$boot" = - ] || [ "$6" = - ] || [ "$4" = - ] || [ -z "$6" ]; }

# elsewhere HOLDER...: a holder on another host or machine, or in another PID namespace
# of this boot (a container on our kernel): its PID means nothing here.
elsewhere() {
  [ "$2" != "$host" ] && return 0
  [ -n "$6" ] && [ "$6" != - ] && [ "$machine" != - ] && [ "$6" != "$machine" ] && return 0
  [ "$4" = "$boot" ] && [ -n "$7" ] && [ "$7" != - ] && [ "$pidns" != - ] && [ "$7" != "$pidns" ]
}

# private_lock: the private lock, taken over from a holder that is dead, or refused.
private_lock() {
  plock=$state/lock
  if claim_private; then plock_owned=1; return 0; fi
  holder=$(head -n 1 "$plock/owner" 2>/dev/null)
  # $holder: the holder line, split on purpose.
  # shellcheck disable=SC2086
  set -- $holder
  if [ -n "$1" ] && dead "$@" && job_alive "$plock" "$4"; then
    say "@warning the interrupted apply's Composer (or bin/magento), PID $job_pid, still runs: no apply starts here until it ends"
  elif [ -n "$1" ] && dead "$@"; then
    if reap "$plock" "$holder"; then
      if claim_private; then
        plock_owned=1
        say "@warning took over the lock of an apply that is gone ($1 $2 $3: PID, host, start time)"
        return 0
      fi
    fi
    refuse "locked - - - $plock"
  fi
  [ -n "$1" ] || set -- - - -
  if [ "$1" != - ] && unsure "$@"; then say "@liveness-unknown"; fi
  refuse "locked $1 $2 $3 $plock"
}

# job_alive DIR BOOT: the owner's job (Composer, bin/magento) that DIR (the private lock,
# a slot) names still runs: its apply's shell was killed outright, the job was not (same
# boot, PID there, same start).
job_alive() {
  [ -f "$1/job" ] && [ "$2" = "$boot" ] || return 1
  read -r job_pid job_start < "$1/job" || return 1
  case "$job_pid" in ''|*[!0-9]*) return 1 ;; esac
  running "$job_pid" || return 1
  [ -z "$job_start" ] || [ "$job_start" = - ] || [ ! -d "/proc/$job_pid" ] || { start_now "$job_pid"; [ "$pstart" = "$job_start" ]; }
}

# reap DIR HOLDER: removes DIR, judged to be the dead HOLDER's (its first owner line),
# once. Waiters that judged it together race for a mark made inside it, and the winner
# reads the holder again under the mark: a DIR that another waiter reaped and claimed
# afresh meanwhile is a live apply's, and stays. A mark whose reaper was killed between
# mark and rename is dropped once it is a minute old.
reap() {
  if ! mkdir "$1/reaping" 2>/dev/null; then
    [ -z "$(find "$1/reaping" -maxdepth 0 -mmin +1 2>/dev/null)" ] || rmdir "$1/reaping" 2>/dev/null
    return 1
  fi
  if [ "$(head -n 1 "$1/owner" 2>/dev/null)" = "$2" ] && mv "$1" "$1.gone.$$" 2>/dev/null; then
    rm -rf "$1.gone.$$"
    return 0
  fi
  rmdir "$1/reaping" 2>/dev/null
  return 1
}

# claim DIR: DIR appears with its owner file inside (made aside, renamed): 0 when this
# apply made it, 1 when it exists, 2 when no directory can be made beside it. mv moves
# into a DIR that exists, and its holder may be removing it at that moment, taking the
# moved entry with it: DIR is this apply's only when its owner line is this apply's.
claim() {
  new=$(mktemp -d "$1.XXXXXX") || return 2
  # An owner file that cannot be written (a full disk) would leave DIR naming no one.
  if ! printf '%s\n' "$line" > "$new/owner" || [ ! -s "$new/owner" ]; then rm -rf "$new"; return 2; fi
  if mv "$new" "$1" 2>/dev/null; then
    claimed=""; { IFS= read -r claimed < "$1/owner"; } 2>/dev/null
    [ "$claimed" != "$line" ] || return 0
  fi
  rm -rf "$new" "${1:?}/${new##*/}"
  return 1
}

# unclaim DIR: frees DIR, when it is still this apply's, at once (renamed aside, then
# removed): a claim that moves into DIR meanwhile goes with it, and does not leave DIR
# behind emptied, without an owner. Only where the rename fails (a full disk) is DIR
# removed in place.
unclaim() {
  ours=""; { IFS= read -r ours < "$1/owner"; } 2>/dev/null
  [ "$ours" = "$line" ] || return 0
  if mv "$1" "$1.gone.$$" 2>/dev/null; then rm -rf "$1.gone.$$"; else rm -rf "$1"; fi
}

# claim_private: claim the private lock, or refuse when its directory cannot be made.
claim_private() {
  claim "$plock"; rc=$?
  [ "$rc" = 2 ] && refuse "lock cannot create a directory in $state"
  return "$rc"
}

# shared_lock: the advisory lock in var/, made as the owner; a holder of another host is
# never taken over, a dead one of this machine is.
shared_lock() {
  slock=$root/var/$lock_name
  out=$(owner_do lock_claim "$slock" "$line")
  case "$out" in
    @took*) slock_owned=1; return 0 ;;
    @lock-failed*) refuse "lock ${out#@lock-failed }" ;;
  esac
  holder=$(printf '%s\n' "$out" | sed -n 's/^@held //p')
  legacy=$(printf '%s\n' "$out" | sed -n 's/^@legacy //p')
  if [ -n "$legacy" ]; then say "@owed $legacy"; refuse "legacy-lock $slock"; fi
  # This node's own record of an owed restore, for the operator who clears the lock.
  if [ -f "$state/owed" ]; then IFS= read -r owed_note < "$state/owed"; say "@owed $owed_note"; fi
  # $holder: the holder line (the owner's words), split on purpose, never globbed.
  set -f
  # shellcheck disable=SC2086
  set -- $holder
  set +f
  case "$1" in ''|-|*[!0-9]*) refuse "lock-unknown $slock" ;; esac
  if elsewhere "$@"; then refuse "lock-foreign $1 $2 $3 $slock"; fi
  if dead "$@"; then
    owner_do lock_drop "$slock" "$holder" >/dev/null
    case $(owner_do lock_claim "$slock" "$line") in
      @took*) slock_owned=1; say "@warning took over the lock $slock left by a process that is gone ($1 $2 $3)"; return 0 ;;
    esac
    refuse "locked - - - $slock"
  fi
  if unsure "$@"; then say "@liveness-unknown"; fi
  refuse "locked $1 $2 $3 $slock"
}

# release_locks: the shared lock (when it is still ours) and the private one.
release_locks() {
  [ "$slock_owned" = 1 ] && { owner_do lock_drop "$slock" "$line" >/dev/null; slock_owned=0; }
  [ "$plock_owned" = 1 ] && { unclaim "$plock"; plock_owned=0; }
}
