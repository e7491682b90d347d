# shellcheck shell=sh
# Runs $cmd as $run_as through non-interactive sudo, stdin passed on, and forwards a
# stop (TERM, INT or HUP from the watchdog) through the same sudo to every process
# under it: the SSH user may not signal run_as's processes, and sudo does not relay a
# signal sent from its own process group. Waits for the command to finish its cleanup
# (the apply script's restore), so its report still arrives.
#
# Set by the renderer (exec.go): run_as, cmd, tree_awk (process_tree.awk).
# shellcheck disable=SC2154
exec 3<&0
sudo -n -u "$run_as" -- sh -c "$cmd" <&3 3<&- &
c=$!
exec 3<&-
stopped=0
# shellcheck disable=SC2317,SC2016
stop() {
  stopped=1
  sudo -n -u "$run_as" -- sh -c 'kill -TERM $(cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" "$2") 2>/dev/null' sh "$c" "$tree_awk" </dev/null >/dev/null 2>&1
}
trap stop TERM INT HUP
wait "$c"; s=$?
while [ "$stopped" = 1 ]; do stopped=0; wait "$c"; s=$?; done
exit "$s"
