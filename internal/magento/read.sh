# shellcheck shell=sh
# Reads the Magento roots numbered $fast_roots and $slow_roots and prints, for each,
# "@root N" and then "@error KIND [DETAIL]", or its "@pkg ..." lines and
# "@dmtdir yes|no". It never starts PHP or Composer. It prints with printf, never echo
# (which may interpret a backslash in a path).
#
# The cost on a host is processes, not bytes: grep reads 1.7 MB in about half a
# millisecond, about what starting a process costs, and reading each root on its own
# started six. So the checks per root are shell builtins, ONE grep reads the lock and
# installed.json of every root in $fast_roots, and one awk (batch.awk) sorts its output
# by root. Roots it cannot answer, and those in $slow_roots (a path holding a newline
# or \1, which would confuse the line-based batch), are read one by one, which also
# parses the root composer.json (git clones) and the tool's own composer.json.
#
# Set by the renderer (scripts.go): batch_awk, sep (\1), package, tool_dir,
# fast_roots, slow_roots, and select_root N, which sets $root. Needs extract.sh.
# shellcheck disable=SC2154

nl='
'

# check_root prints why $root cannot be read ("@error ...") and fails, or succeeds.
check_root() {
  if [ ! -e "$root" ]; then printf '@error missing\n'
  elif [ ! -d "$root" ]; then printf '@error notdir\n'
  elif [ ! -x "$root" ] || [ ! -r "$root" ]; then printf '@error unreadable %s\n' "$root"
  elif [ ! -f "$root/composer.json" ]; then printf '@error nocomposer\n'
  else return 0
  fi
  return 1
}

read_root_alone() {
  select_root "$1"; printf '@root %s\n' "$1"
  check_root || return 0
  found=$(extract_packages "$root/composer.lock" lock; extract_packages "$root/vendor/composer/installed.json" installed)
  [ -z "$found" ] || printf '%s\n' "$found"
  case "$found" in
    *"@pkg lock magento/product-"*|*"@pkg lock magento/magento2-base "*) ;;
    *) extract_packages "$root/composer.json" root ;;
  esac
  if [ -d "$root/$tool_dir" ]; then
    printf '@dmtdir yes\n'
    case "$found" in
      *"@pkg installed $package "*) ;;
      *) extract_packages "$root/$tool_dir/composer.json" dmt ;;
    esac
  else
    printf '@dmtdir no\n'
  fi
}

batch=; set --
for n in $fast_roots; do
  select_root "$n"; printf '@root %s\n' "$n"
  check_root || continue
  has_tool=no; [ ! -d "$root/$tool_dir" ] || has_tool=yes
  printf '@dmtdir %s\n' "$has_tool"
  unreadable=
  for file in "$root/composer.lock" "$root/vendor/composer/installed.json"; do
    { [ -e "$file" ] && [ ! -d "$file" ]; } || continue
    if [ -r "$file" ]; then set -- "$@" "$file"; else printf '@error unreadable %s\n' "$file"; unreadable=1; fi
  done
  [ -n "$unreadable" ] || batch="$batch$n $has_tool$sep$root$nl"
done
sorted=$({ printf '%s%s@end\n' "$batch" "$sep"; [ $# -eq 0 ] || grep -H -Z -E -A1 -- "$interesting" "$@" 2>/dev/null | tr '\000' "$sep"; } | awk "$batch_awk")
# The numbers after @slow, and $fast_roots, split into words on purpose.
# shellcheck disable=SC2086
case "$sorted" in
  *@slow*) printf '%s\n' "${sorted%@slow*}"; set -- ${sorted##*@slow} ;;
  *) set -- $fast_roots ;;
esac
for n in "$@" $slow_roots; do read_root_alone "$n"; done
