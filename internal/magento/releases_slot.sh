# shellcheck shell=sh
# A release listing that takes one of the host's Composer slots first (apply_slots.sh):
# plans and applies of every Terraform process on this machine together run at most
# per_host_parallelism Composers. The slot is taken as the SSH user, in its private state
# base, as an apply's is; the listing ($listing: releases.sh) then runs, with stdin
# passed on: as the SSH user (sh -c), or as the listing user through run_as.sh, which
# carries a stop to that user's processes. The slot is freed when the listing ends, or
# when this shell is stopped (the plan was cancelled).
# Set by the renderer (releases.go): state_base, slots; the parts before it define
# take_slot and drop_slot; the renderer appends the run of the listing.
# shellcheck disable=SC2154
exec 4>&1
trap drop_slot EXIT
trap 'exit 143' HUP INT TERM
state_base_dir
take_slot
exec 4>&-
