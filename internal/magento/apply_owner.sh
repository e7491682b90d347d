# shellcheck shell=sh
# Who touches what. Two places, one rule each (DESIGN.md, Trust):
# - the shop (everything under the physical root) is touched only as its owner: run_as,
#   else the SSH user when it owns composer.json, else (SSH user root) composer.json's
#   owner. owner_do runs an owner_tasks.sh function as that user, in a new sh (through
#   sudo -n when it is not the applying user), with no descriptor of ours but stdio;
# - the apply's own state (archives, the owed-restore record, the private lock) lives in
#   a private state directory: every component owned by root or the applying user and
#   writable by no one else (OpenSSH's StrictModes; a root-owned sticky directory such as
#   /tmp is passed through).
#
# Set by the renderer: run_as, state_base (empty: the default), root_id, owner_lib
# (owner_tasks.sh and what it needs), tree_awk (process_tree.awk). Defines say too.
# shellcheck disable=SC2154

say() { printf '%s\n' "$*" >&4; }
# refuse WHY: fail before anything in the shop or the state was changed.
# After an owed restore (phase, change.sh) the shop was changed: fail says so.
refuse() { [ "${phase:-before}" = before ] || fail "$*"; say "@unchanged"; say "@fail $*"; exit 1; }
me_uid=$(id -u)
me=$(id -un 2>/dev/null) || me=$me_uid
child=""; state=""; as_me=1

# owner_do FUNCTION ARGS...: runs FUNCTION (owner_tasks.sh) as the shop's owner.
owner_do() {
  if [ "$as_me" = 1 ]; then
    sh -c "$owner_lib
\"\$@\"" sh "$@" 4>&- 5>&- 6<&-
  else
    sudo -n -u "$owner" -- sh -c "$owner_lib
\"\$@\"" sh "$@" 4>&- 5>&- 6<&-
  fi
}

# owner_wait FUNCTION ARGS...: owner_do in the background, so that a signal reaches this
# shell's trap at once (a shell runs traps only between commands); stop_child ends it.
# The command itself is the background job (not a subshell running owner_do, which a
# TERM to the process group would end, orphaning the owner's processes below it).
owner_wait() {
  exec 7<&0
  if [ "$as_me" = 1 ]; then
    sh -c "$owner_lib
\"\$@\"" sh "$@" <&7 7<&- 4>&- 5>&- 6<&- &
  elif command -v setsid >/dev/null 2>&1; then
    # A session of its own: the watchdog's TERM to our process group would end sudo
    # (which relays nothing from its own group) and orphan the owner's processes
    # below it, which the SSH user may not signal; stop_child ends them instead.
    setsid sudo -n -u "$owner" -- sh -c "$owner_lib
\"\$@\"" sh "$@" <&7 7<&- 4>&- 5>&- 6<&- &
  else
    sudo -n -u "$owner" -- sh -c "$owner_lib
\"\$@\"" sh "$@" <&7 7<&- 4>&- 5>&- 6<&- &
  fi
  child=$!
  # The job outlives this shell if it is killed outright: the private lock and the
  # host's slot name it, so no later apply runs beside it and the slot stays taken.
  start_now "$child"; job="$child $pstart"
  [ "$plock_owned" != 1 ] || printf '%s\n' "$job" > "$plock/job"
  [ -z "$slot" ] || printf '%s\n' "$job" > "$slot/job"
  exec 7<&-
  wait "$child"; rc=$?
  child=""
  [ "$plock_owned" != 1 ] || rm -f "$plock/job"
  [ -z "$slot" ] || rm -f "$slot/job"
  return "$rc"
}

# stop_child: stop the owner's process tree under owner_wait (Composer, bin/magento),
# as the owner when it is another user (an SSH user may not signal it), then wait.
stop_child() {
  [ -n "$child" ] || return 0
  if [ -d /proc/self ]; then
    # The PIDs below the child, from /proc/*/stat: one word per PID, split on purpose.
    pids=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$child" "$tree_awk")
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      if [ "$as_me" = 1 ] || [ "$me_uid" = 0 ]; then kill -TERM $pids 2>/dev/null
      else sudo -n -u "$owner" -- sh -c 'kill -TERM "$@" 2>/dev/null' sh $pids </dev/null >/dev/null 2>&1; fi
    fi
  fi
  kill -TERM "$child" 2>/dev/null
  wait "$child"
  child=""
}

# same_owner ROOT: composer.json's owner speaks for the shop only when the root and what
# runs (bin/magento, vendor/, composer.lock) are that user's too: the web user can rename
# a root-owned file to composer.json in a root it owns. Sets owner_part to the first
# that is not (never part: the cleanup removes the archive's part file by that name).
same_owner() {
  for owner_part in "$1" "$1/composer.lock" "$1/vendor" "$1/bin/magento"; do
    { [ -e "$owner_part" ] || [ -L "$owner_part" ]; } || continue
    uid_of "$owner_part"
    [ "$ls_uid" = "$file_uid" ] || return 1
  done
}

# uid_of PATH: sets ls_uid to PATH's owner as ls -ldn shows it (empty when ls cannot
# tell) and ls_mode to its mode; user_of PATH sets ls_user to the owner's name as ls -ld
# shows it. One process each, no pipe: uid_of runs for every part of the root and every
# directory of the state's path.
uid_of() {
  # Fields of ls -ldn: mode, links, uid; the path follows, split on purpose and unused,
  # never globbed: a link's target, which the shop's user chooses, is printed too.
  set -f
  # shellcheck disable=SC2012,SC2046
  set -- $(ls -ldn "$1" 2>/dev/null)
  set +f
  ls_mode=${1-}; ls_uid=${3-}
}
user_of() {
  set -f
  # shellcheck disable=SC2012,SC2046
  set -- $(ls -ld "$1" 2>/dev/null)
  set +f
  ls_user=${3-}
}

# resolve_owner ROOT: sets owner and as_me, or fails before anything runs.
resolve_owner() {
  if [ -n "$run_as" ]; then owner=$run_as; else resolve_other "$1"; fi
  as_me=0
  if [ "$owner" = "$me" ] || [ "$owner" = "#$me_uid" ]; then as_me=1; return 0; fi
  if ! err=$(sudo -n -u "$owner" -- true 2>&1 </dev/null); then
    refuse "sudo $owner $(printf '%s\n' "$err" | head -n 1)"
  fi
}

# resolve_other ROOT: sets owner from composer.json's owner, or refuses. ls, which never
# follows a link: the shop's user may swap a part for a link, or rename the root, while
# this looks (a test such as -O follows links, and a path missing by then passes).
resolve_other() {
  uid_of "$1/composer.json"; file_uid=$ls_uid
  if [ -z "$file_uid" ]; then
    refuse "no-composer-json $1/composer.json"
  elif ! same_owner "$1"; then
    user_of "$1/composer.json"
    refuse "owner-unclear $ls_user $owner_part"
  elif [ "$file_uid" = "$me_uid" ]; then
    owner=$me
  elif [ "$me_uid" = 0 ]; then
    user_of "$1/composer.json"
    owner=$ls_user
    # A uid without a name: sudo takes #UID.
    case "$owner" in *[!0-9]*) ;; *) owner="#$owner" ;; esac
    say "@owner $owner"
  else
    user_of "$1/composer.json"
    refuse "not-owner $ls_user $me $1/composer.json"
  fi
}

# component_problem PATH LAST: sets problem to "UID USER MODE" when PATH may not hold the
# apply's state, to nothing when it may. A link is judged by its own owner and its target.
component_problem() {
  problem=""; cp_path=$1; cp_last=$2
  uid_of "$cp_path"
  [ -n "$ls_uid" ] || { problem="- - missing"; return; }
  case "$ls_uid" in 0|"$me_uid") ;; *) problem_of "$cp_path" "$ls_uid" "$ls_mode"; return ;; esac
  if [ -L "$cp_path" ]; then
    set -f
    # shellcheck disable=SC2012,SC2046
    set -- $(ls -ldnL "$cp_path" 2>/dev/null)
    set +f
    [ -n "${3-}" ] || { problem="- - dangling-link"; return; }
    ls_mode=$1; ls_uid=$3
    case "$ls_uid" in 0|"$me_uid") ;; *) problem_of "$cp_path" "$ls_uid" "$ls_mode"; return ;; esac
  fi
  mode_private "$ls_mode" "$ls_uid" "$cp_last" || problem_of "$cp_path" "$ls_uid" "$ls_mode"
}

# mode_private MODE UID LAST: true when a component with this ls mode and owner is
# private: owned by root or the applying user, and a directory no one else may write,
# but for a root-owned sticky one (such as /tmp) on the way (LAST 0). A link's own mode
# (l...) never is: its target is what counts.
mode_private() {
  case "$2" in 0|"$me_uid") ;; *) return 1 ;; esac
  case "$1" in d????????[tT]*) [ "$3" = 0 ] && [ "$2" = 0 ] && return 0 ;; esac
  case "$1" in d????w*|d???????w*|[!d]*) return 1 ;; esac
}

# problem_of PATH UID MODE: sets problem to "UID USER MODE", the user's name as ls shows it.
problem_of() {
  # shellcheck disable=SC2012
  # shellcheck disable=SC2012,SC2046
  ls_name=$(set -f; set -- $(ls -ldL "$1" 2>/dev/null); printf '%s' "${3-}")
  problem="$2 ${ls_name:-$2} ${3%%[.+@]*}"
}

# private_ok: "LAST PATH" lines of the directories found private (component_problem)
# in this run, checked once: the state, the slots and the backup directory share their
# parents. Only root or this user can change a directory that passed.
nl='
'
private_ok=$nl

# private_checked PATH LAST: component_problem, once per PATH and LAST in this run.
private_checked() {
  case "$1" in *"$nl"*) component_problem "$1" "$2"; return ;; esac
  case "$private_ok" in *"$nl$2 $1$nl"*) problem=""; return ;; esac
  component_problem "$1" "$2"
  [ -n "$problem" ] || private_ok="$private_ok$2 $1$nl"
}

# private_prewarm DIR: checks the components of DIR that exist with one ls, by
# component_problem's rule (mode_private), and caches those that pass (private_checked);
# private_dir then checks the rest one by one (links, missing ones, any doubt). ls sorts its
# operands: each component is a prefix of the next, so in C order they are the walk's.
private_prewarm() {
  case "$1" in *"$nl"*) return 0 ;; esac
  pw_want=$1; pw_path=""; pw_rest=${1#/}; pw_list="/$nl"
  set -- /
  while [ -n "$pw_rest" ]; do
    pw_part=${pw_rest%%/*}
    case "$pw_rest" in */*) pw_rest=${pw_rest#*/} ;; *) pw_rest="" ;; esac
    [ -n "$pw_part" ] || continue
    pw_path=$pw_path/$pw_part
    [ -e "$pw_path" ] || break
    set -- "$@" "$pw_path"; pw_list="$pw_list$pw_path$nl"
  done
  [ "$#" -gt 1 ] || return 0
  pw_out=$(LC_ALL=C ls -ldn -- "$@" 2>/dev/null) || return 0
  while IFS= read -r pw_line; do
    pw_c=${pw_list%%"$nl"*}; pw_list=${pw_list#*"$nl"}
    case "$pw_line" in *" $pw_c") ;; *) return 0 ;; esac
    pw_last=0; [ "$pw_c" != "$pw_want" ] || pw_last=1
    set -f
    # shellcheck disable=SC2086
    set -- $pw_line
    set +f
    ! mode_private "$1" "$3" "$pw_last" || private_ok="$private_ok$pw_last $pw_c$nl"
  done <<EOF
$pw_out
EOF
}

# private_dir DIR WHAT: makes DIR (and missing parents, 0700) and checks every
# component from / down; fails naming the first one that is not private. WHAT says
# which directory it is (state, backup).
private_dir() {
  want=$1; what=$2; path=""
  private_prewarm "$want"
  private_checked / 0
  [ -z "$problem" ] || { refuse "private $what / $problem $want"; }
  rest=${want#/}
  while [ -n "$rest" ]; do
    pd_part=${rest%%/*}
    case "$rest" in */*) rest=${rest#*/} ;; *) rest="" ;; esac
    [ -n "$pd_part" ] || continue
    path=$path/$pd_part
    if [ ! -e "$path" ] && [ ! -L "$path" ]; then
      mkdir -m 700 "$path" 2>/dev/null || [ -d "$path" ] || { refuse "private $what $path - - cannot-create $want"; }
    fi
    last=0; [ -n "$rest" ] || last=1
    private_checked "$path" "$last"
    [ -z "$problem" ] || { refuse "private $what $path $problem $want"; }
  done
  { [ -d "$want" ] && [ -O "$want" ]; } || { refuse "private $what $want - - not-ours $want"; }
  # A link on the way: its target's own ancestors must pass too.
  physical=$(cd -P "$want" 2>/dev/null && pwd -P) || refuse "private $what $want - - cannot-create $want"
  if [ "$physical" != "$want" ]; then private_dir "$physical" "$what"; fi
  private=$physical
}

# state_base_dir: sets base, the base of the SSH user's private state directories (the
# roots' and the host's Composer slots).
state_base_dir() {
  base=$state_base
  if [ -z "$base" ]; then
    if [ "$me_uid" = 0 ]; then base=/var/lib/terraform-provider-magento
    else base=${XDG_STATE_HOME:-$HOME/.local/state}/terraform-provider-magento; fi
  fi
}

# state_dir: the root's private state directory, by default under
# /var/lib/terraform-provider-magento (root) or the XDG state home (everyone else).
state_dir() {
  state_base_dir
  state=${base%/}/$root_id
  private_dir "$state" state
  state=$private
}
