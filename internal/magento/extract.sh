# shellcheck shell=sh
# Defines extract_packages FILE KIND, which prints "@pkg KIND NAME VERSION" for the
# Magento packages and the tool in one JSON file (or "@error unreadable FILE"); the read
# scripts use it, and the apply script to verify what Composer installed. First it
# checks that the host has grep, awk and tr, else it prints "@fatal ..." and the script
# stops: a missing tool must not read as "no Magento here".
#
# Set by the renderer (scripts.go): extract_awk, pair_awk (extract.awk and pair.awk)
# and interesting (the package names grep looks for).
# shellcheck disable=SC2154

missing=
for tool in grep awk tr; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done
[ -z "$missing" ] || { printf '@fatal not installed on the host:%s (the reader needs grep, awk and tr)\n' "$missing"; exit 0; }

# A file that exists and is not a directory is read: one that cannot answer (a hung NFS
# mount, a FIFO) blocks until the read's timeout rather than passing for "no Magento".
# A lock or installed.json (1-2 MB in a real shop) takes the grep fast path; anything
# else, a file grep cannot pair, or a grep that fails (status 2: an option it lacks),
# the full parser. An awk that fails is "@fatal": its silence must not read as "absent".
extract_packages() {
  { [ -e "$1" ] && [ ! -d "$1" ]; } || return 0
  [ -r "$1" ] || { printf '@error unreadable %s\n' "$1"; return 0; }
  case "$2" in lock|installed)
    extract_grepped=$(grep -E -A1 -- "$interesting" "$1"); extract_status=$?
    if [ "$extract_status" -le 1 ]; then
      extract_paired=$(printf '%s\n' "$extract_grepped" | awk -v kind="$2" "$pair_awk") ||
        { printf '@fatal awk failed on the host reading %s\n' "$1"; return 0; }
      case "$extract_paired" in
        *@fallback*) ;;
        *) [ -z "$extract_paired" ] || printf '%s\n' "$extract_paired"; return 0 ;;
      esac
    fi ;;
  esac
  tr ',' '\n' < "$1" | awk -v kind="$2" "$extract_awk" || printf '@fatal awk failed on the host reading %s\n' "$1"
}
