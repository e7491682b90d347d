# shellcheck shell=sh
# The host's Composer slots (per_host_parallelism): $slots_dir/1..N in the applying
# user's private state base, one directory per running apply, holding its holder line
# (apply_lock.sh) and, while it runs, its owner job (job). Every Terraform process that
# applies as this user on this machine takes one, so applies from several pipelines
# together run at most N Composers here. A slot whose holder is dead (the lock's rule)
# and whose job has ended is freed; a live one is waited for, saying who holds them.
# Where the ids that prove a holder dead are missing (no machine id or boot id), a holder
# of this host name whose PID is gone is freed too. A holder whose PID means nothing here
# (another machine or PID namespace) stops the apply, naming the slot to remove: waiting
# for it could be forever.
#
# A waiter leaves its PID and start time in $slots_dir/wait.START.PID; an apply that
# frees a slot wakes one waiter that still runs with SIGURG (drop_slot), the one that
# started first: a freed slot is taken at once, not at the next poll (each second). A
# file whose process is gone (or was replaced: another start time) is removed, never
# signalled.
#
# Set by the renderer: slots (0: none taken). Uses say, refuse, private_dir, base,
# line, host, dead, unsure, elsewhere, running, job_alive, claim, unclaim, reap,
# start_now.
# shellcheck disable=SC2154,SC2034
slot=""; slot_waited=0; slot_wait_file=""; slot_woken=0

# take_slot: waits for a free slot of the host and takes it (once: a slot held is kept);
# says "@slot N" when held, and "@slot-wait HOLDER..." (PID HOST START, ";"-separated)
# each time the holders change. Sets slot_waited when it had to wait.
take_slot() {
  [ "${slots:-0}" -gt 0 ] && [ -z "$slot" ] || return 0
  private_dir "${base%/}/slots" slots
  slots_dir=$private; seen=""
  while :; do
    i=1; holders=""
    while [ "$i" -le "$slots" ]; do
      # A held slot is read, not claimed: waiters woken together start no process for it.
      if [ ! -e "$slots_dir/$i" ]; then
        claim "$slots_dir/$i"; rc=$?
        [ "$rc" = 2 ] && refuse "slot cannot create a directory in $slots_dir"
        if [ "$rc" = 0 ]; then slot=$slots_dir/$i; slot_unwait; say "@slot $i"; return 0; fi
      fi
      holder=""; { IFS= read -r holder < "$slots_dir/$i/owner"; } 2>/dev/null
      # $holder: the holder line, split on purpose, never globbed.
      set -f
      # shellcheck disable=SC2086
      set -- $holder
      set +f
      if [ -z "$1" ]; then
        [ -e "$slots_dir/$i" ] || continue # freed as we looked: claim it
        # Being removed: held this round. One a minute old names no one (an older
        # release's race left it): removed when empty, else the operator is told.
        if [ -n "$(find "$slots_dir/$i" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then
          rmdir "$slots_dir/$i" 2>/dev/null && continue
          refuse "slot-ownerless $slots_dir/$i"
        fi
        set -- - - -
      elif elsewhere "$@"; then
        refuse "slot-unknown $1 $2 $3 $slots_dir/$i"
      elif dead "$@" || { unsure "$@" && [ "$2" = "$host" ] && ! running "$1"; }; then
        if ! job_alive "$slots_dir/$i" "$4"; then
          reap "$slots_dir/$i" "$holder" && continue
        else
          set -- "$job_pid" "$2" "$3" # the killed apply's Composer holds it now
        fi
      fi
      holders="$holders;$1 $2 $3"
      i=$((i + 1))
    done
    slot_waited=1
    if [ -z "$slot_wait_file" ] || [ ! -f "$slot_wait_file" ]; then
      # Registered (again, after a wake that found no slot free) before the next look:
      # a slot freed from now on wakes this shell.
      trap 'slot_woken=1' URG
      # Named by this apply's start, zero-padded: drop_slot's glob wakes the oldest first
      # (PIDs alone sort 100123 before 99876).
      wait_start=$mystart
      while [ "${#wait_start}" -lt 12 ]; do wait_start=0$wait_start; done
      slot_wait_file=$slots_dir/wait.$wait_start.$$
      printf '%s\n' "$$ $mystart" > "$slot_wait_file"
      continue
    fi
    [ "$holders" = "$seen" ] || { say "@slot-wait ${holders#;}"; seen=$holders; }
    if [ "$slot_woken" = 0 ]; then
      sleep 1 >/dev/null 2>&1 4>&- &
      slot_sleep=$!
      wait "$slot_sleep" # a trapped signal ends the wait at once
      kill "$slot_sleep" 2>/dev/null
    fi
    slot_woken=0
  done
}

# slot_unwait: this shell no longer waits for a slot.
slot_unwait() {
  [ -n "$slot_wait_file" ] || return 0
  # The apply that woke this one removed the registration already.
  [ ! -e "$slot_wait_file" ] || rm -f "$slot_wait_file"
  slot_wait_file=""
  trap - URG
}

# drop_slot: frees the slot this apply holds and wakes one apply waiting for one, whose
# registration it removes (rm succeeds for one remover only): a second slot freed at
# the same time wakes another, and a woken apply that finds no slot free registers
# again. Waking every waiter set them all claiming the one slot, three processes each
# for one winner. A registration whose process is gone (or was replaced: another start
# time) is removed, never signalled.
drop_slot() {
  slot_unwait
  [ -n "$slot" ] || return 0
  unclaim "$slot"; slot=""
  for waiter in "$slots_dir"/wait.*; do
    [ -f "$waiter" ] || continue
    waiter_pid=""; waiter_start=""
    { read -r waiter_pid waiter_start < "$waiter"; } 2>/dev/null
    start_now "$waiter_pid"
    rm "$waiter" 2>/dev/null || continue
    if [ -n "$pstart" ] && [ "$pstart" = "$waiter_start" ] && kill -s URG "$waiter_pid" 2>/dev/null; then break; fi
  done
}
