# shellcheck shell=sh
# A release listing that takes one of the host's Composer slots first (apply_slots.sh):
# plans and applies of every Terraform process on this machine together run at most
# per_host_parallelism Composers. The slot is taken as the SSH user, in its private state
# base, as an apply's is; the listing ($listing: releases.sh) then runs as $list_as
# (empty: the SSH user) with stdin passed on. The slot is freed when the listing ends, or
# when this shell is stopped (the plan was cancelled).
# Set by the renderer (releases.go): state_base, slots, list_as, listing; the parts
# before it define take_slot and drop_slot.
# shellcheck disable=SC2154
exec 4>&1
trap drop_slot EXIT
trap 'exit 143' HUP INT TERM
state_base_dir
take_slot
if [ -n "$list_as" ]; then
  sudo -n -u "$list_as" -- sh -c "$listing" 4>&-
else
  sh -c "$listing" 4>&-
fi
