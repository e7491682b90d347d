# shellcheck shell=sh
# Turns the search paths into numbered candidate roots for read.sh: the renderer passes
# them as the arguments ("$@"), globs unquoted so the shell has expanded them; each
# match that is a directory prints "@cand N PATH" and is read. A glob that matches
# nothing stays as written and is no directory. A path holding a newline or \1 (no real
# root does) is left out: the output is line-based. Paths are printed with printf, never
# echo, which some shells (dash) make interpret backslashes: a root named
# shop\cold would end the line at \c.
#
# Set by the renderer (scripts.go): sep (\1). Needs extract.sh; read.sh follows.
# shellcheck disable=SC2154

nl='
'
count=0; fast_roots=
# read.sh reads it: no root here takes only the slow path.
# shellcheck disable=SC2034
slow_roots=
for candidate in "$@"; do
  [ -d "$candidate" ] || continue
  case $candidate in *"$nl"*|*"$sep"*) continue ;; esac
  eval "candidate_$count=\$candidate"
  printf '@cand %s %s\n' "$count" "$candidate"
  fast_roots="$fast_roots $count"; count=$((count + 1))
done
select_root() { eval "root=\$candidate_$1"; }
