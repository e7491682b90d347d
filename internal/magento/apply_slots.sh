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
# Set by the renderer: slots (0: none taken). Uses say, refuse, private_dir, base,
# line, host, dead, unsure, elsewhere, running, job_alive, claim, reap.
# shellcheck disable=SC2154
slot=""

# take_slot: waits for a free slot of the host and takes it; says "@slot N" when held,
# and "@slot-wait HOLDER..." (PID HOST START, ";"-separated) each time the holders change.
take_slot() {
  [ "${slots:-0}" -gt 0 ] || return 0
  private_dir "${base%/}/slots" slots
  slots_dir=$private; seen=""
  while :; do
    i=1; holders=""
    while [ "$i" -le "$slots" ]; do
      claim "$slots_dir/$i"; rc=$?
      [ "$rc" = 2 ] && refuse "slot cannot create a directory in $slots_dir"
      if [ "$rc" = 0 ]; then slot=$slots_dir/$i; say "@slot $i"; return 0; fi
      holder=$(head -n 1 "$slots_dir/$i/owner" 2>/dev/null)
      # $holder: the holder line, split on purpose.
      # shellcheck disable=SC2086
      set -- $holder
      if [ -z "$1" ]; then
        [ -e "$slots_dir/$i" ] || continue # freed as we looked: claim it
        set -- - - -                       # being made or removed: held this round
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
    [ "$holders" = "$seen" ] || { say "@slot-wait ${holders#;}"; seen=$holders; }
    sleep 1
  done
}

# drop_slot: frees the slot this apply holds.
drop_slot() { [ -z "$slot" ] || { rm -rf "$slot"; slot=""; }; }
