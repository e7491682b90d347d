# shellcheck shell=sh
# What the apply does inside the shop, run as the shop's owner (apply_owner.sh's
# owner_do runs one of these functions in a new sh, through sudo when the owner is not
# the applying user). The shop's owner can write anything here anyway, so these
# functions need no defence against the owner; they only ever get the applier's data
# through stdin (an archive, the Composer credentials) and report on stdout.
#
# Set by the renderer (change_script.go), in owner_lib: php, package, tool_dir,
# lock_name, moved_on_php, section_php, extract_packages (extract.sh) and
# run_composer (exec.go), which runs Composer in $root.
# shellcheck disable=SC2154,SC2034

# installed_version ROOT: the tool's installed version, an empty line when absent.
installed_version() {
  [ -d "$1/$tool_dir" ] || { echo; return 0; }
  version=$(extract_packages "$1/vendor/composer/installed.json" installed | awk -v package="$package" '$3 == package { print $4; exit }')
  [ -n "$version" ] || version=$(extract_packages "$1/$tool_dir/composer.json" dmt | awk '{ print $4; exit }')
  printf '%s\n' "$version"
}

# magento_version ROOT: Magento's version as the read takes it (read.go, magento()):
# the first product edition in composer.lock, else magento2-base there, else the
# version of a git clone's root composer.json.
magento_version() {
  version=$(extract_packages "$1/composer.lock" lock | awk '
    $3 ~ /^magento\/product-.*-edition$/ && p == "" { p = $4 }
    $3 == "magento/magento2-base" && b == "" { b = $4 }
    END { print (p != "" ? p : b) }')
  [ -n "$version" ] || version=$(extract_packages "$1/composer.json" root | awk '$3 ~ /^magento\/magento2(ce|ee|-base|ce-base)$/ { print $4; exit }')
  printf '%s\n' "$version"
}

v_nl='
'

# surveyed ROOT: sets v_magento, v_tool, v_locked and v_required: Magento's version and
# the tool's, as magento_version and installed_version take them, and where composer.lock
# locks the tool and composer.json requires it (as section.php tells them). Two greps
# and one awk (survey.awk) read a shop as Composer writes it; what they leave "?" is
# read one by one (v_locked and v_required by PHP, in sections). Two greps, as each
# keeps its fast path: one pattern with a literal (magento/), one fixed string.
surveyed() {
  cd "$1" || exit 1
  v_has_tool=no; [ ! -d "$tool_dir" ] || v_has_tool=yes
  # No here-document: bash before 5.1 writes one to $TMPDIR, which may be full.
  v_out=$({ grep -n -E -A1 -e "$interesting" -- composer.lock vendor/composer/installed.json; grep -n -H -F '"packages-dev": [' -- composer.lock; } 2>/dev/null | awk -v has_tool="$v_has_tool" -v package="$package" "$survey_awk")
  v_magento=${v_out%%"$v_nl"*}; v_out=${v_out#*"$v_nl"}
  v_tool=${v_out%%"$v_nl"*}; v_out=${v_out#*"$v_nl"}
  v_locked=${v_out%%"$v_nl"*}; v_required=${v_out#*"$v_nl"}
  case "$v_out" in *"$v_nl"*) ;; *) v_magento=""; v_tool='?'; v_locked='?'; v_required='?' ;; esac
  case "$v_magento" in ''|'?') v_magento=$(magento_version "$1") ;; esac
  [ "$v_tool" != '?' ] || v_tool=$(installed_version "$1")
}

# versions ROOT: Magento's version, then the tool's, a line each (one owner process for
# the stale-plan checks and the version Composer left).
versions() { surveyed "$1"; printf '%s\n%s\n' "$v_magento" "$v_tool"; }

# fingerprint_sum ROOT: the fingerprint's checksum, one line.
fingerprint_sum() { fingerprint "$1" | cksum; }

# fingerprint ROOT: the checksums of what the backup holds and the apply puts back
# (composer.json, composer.lock, installed.json, the tool's files and links): unchanged
# while the apply waited for a Composer slot, or the backup no longer holds the shop.
fingerprint() {
  cd "$1" || return 0
  # cksum follows a link (a shared/ lock in a Deployer layout): its contents count.
  cksum composer.json composer.lock vendor/composer/installed.json 2>&1
  [ ! -d "$tool_dir" ] || find "$tool_dir" \( -type f -exec cksum {} + \) -o -type l -print 2>&1
}

# not_owned ROOT OWNER: up to 20 paths Composer writes (composer.json, composer.lock,
# vendor/) that OWNER does not own: root-owned files an earlier Composer run as root
# left behind, which the owner's Composer cannot replace.
not_owned() {
  owner_uid=$(id -u)
  # A shop owned by root stays as it is.
  [ "$owner_uid" != 0 ] || return 0
  find "$1/composer.json" "$1/composer.lock" "$1/vendor" ! -user "$owner_uid" -print 2>/dev/null | sed 20q
}

# tar_out ROOT MEMBER...: the members as a tar on stdout, for the applier to compress
# and write.
tar_out() { cd "$1" || exit 1; shift; exec tar -cf - "$@"; }

# tar_in ROOT MEMBER...: the archive on stdin, members extracted into ROOT with the
# owner's rights (-o: never the archive's owners).
tar_in() { cd "$1" || exit 1; shift; exec tar -xzof - "$@"; }

# list_files DIR: every file and link below DIR, as ./PATH lines.
list_files() { cd "$1" && find . \( -type f -o -type l \); }

# missing_files DIR: the ./PATH lines on stdin that no longer exist below DIR.
missing_files() {
  cd "$1" || exit 1
  while IFS= read -r file; do
    file=${file#./}
    [ -e "$file" ] || [ -L "$file" ] || printf '%s\n' "$file"
  done
}

# sections ROOT: where composer.json and composer.lock keep the tool, "REQUIRED LOCKED"
# (require, require-dev or none; packages, packages-dev or none), after surveyed;
# section.php, the reference, reads what survey.awk could not.
sections() {
  case "$v_required" in require|require-dev|none)
    case "$v_locked" in packages|packages-dev|none) printf '%s\n' "$v_required $v_locked"; return 0 ;; esac ;;
  esac
  "$php" -r "$section_php" "$1" "$package" 2>/dev/null </dev/null | sed -n 's/^@section //p'
}

# survey ROOT MEMBER...: what the apply checks before it changes anything, from one
# owner process, a line each: Magento's version, the tool's, its sections, the room the
# archive of the MEMBERs needs and the room Composer needs in vendor/ ("-" without the
# tool's directory), in KiB with a tenth more and 64 KiB of slack (the archive is
# compressed, so an upper bound), and the fingerprint's checksum; then "n PATH" for
# each path not_owned finds.
survey() {
  surveyed "$1"; printf '%s\n%s\n' "$v_magento" "$v_tool"
  sections "$1"
  survey_root=$1; shift
  survey_all=0; survey_tool=0
  # du's output: "KIB PATH" per member, split on purpose (the members have no blanks).
  # shellcheck disable=SC2046
  set -- $(du -sk -- "$@" 2>/dev/null)
  while [ "$#" -ge 2 ]; do
    case "$1" in ''|*[!0-9]*) ;; *) survey_all=$((survey_all + $1)); [ "$2" != "$tool_dir" ] || survey_tool=$1 ;; esac
    shift 2
  done
  printf '%s\n' "$((survey_all * 11 / 10 + 64))"
  if [ "$v_has_tool" = yes ]; then printf '%s\n' "$((survey_tool * 11 / 10 + 64))"; else echo -; fi
  fingerprint_sum "$survey_root"
  not_owned "$survey_root" | sed 's/^/n /'
}

# moved_on ROOT MEMBER...: the archive on stdin; its MEMBERs (composer.json and
# composer.lock, those it holds) are extracted and compared with the root's, apart from
# the tool's own entries (moved_on.php): prints "@checked" and an "@differs ..." line for
# each difference, or "@check-failed WHY" (a check that cannot run is never "moved on").
moved_on() {
  root=$1; shift
  check=$(mktemp -d "$root/.tf-magento-dmt-check.XXXXXX") || { printf '@check-failed cannot create a directory in %s (a full disk?)\n' "$root"; return 0; }
  if [ $# -gt 0 ] && ! err=$(tar -xzof - -C "$check" "$@" 2>&1); then
    rm -rf "$check"
    printf '@check-failed extracting %s from the archive failed (%s)\n' "$*" "$(printf '%s\n' "$err" | tail -n 1)"
    return 0
  fi
  "$php" -r "$moved_on_php" "$check" "$root" "$package" 2>/dev/null </dev/null
  rm -rf "$check"
}

# restore_in ROOT MEMBERS BACKED_UP: the archive on stdin is extracted into a private
# directory inside ROOT; every member must arrive; then each backed-up path is swapped
# (the current one moved aside, the archived one moved in); a path the archive does not
# hold did not exist before and is removed. Prints "@swapped" only after the swap;
# otherwise "@restore-failed WHY", with ROOT as it was.
restore_in() {
  trap '' INT TERM HUP
  root=$1
  work=$(mktemp -d "$root/.tf-magento-dmt-restore.XXXXXX") || { printf '@restore-failed cannot create a directory in %s; the root is as the failed apply left it\n' "$root"; return 1; }
  mkdir "$work/new" "$work/old" || { rm -rf "$work"; printf '@restore-failed cannot create a directory in %s; the root is as the failed apply left it\n' "$work"; return 1; }
  if ! err=$(tar -xzof - -C "$work/new" 2>&1); then
    rm -rf "$work"; printf '@restore-failed extracting the archive failed (%s); the root is as the failed apply left it\n' "$(printf '%s\n' "$err" | tail -n 1)"; return 1
  fi
  for path in $2; do
    [ -e "$work/new/$path" ] || [ -L "$work/new/$path" ] || { rm -rf "$work"; printf '@restore-failed the archive lacks %s; the root is as the failed apply left it\n' "$path"; return 1; }
  done
  aside=""; placed=""; broke=""
  for path in $3; do
    case "$path" in */*) parent=${path%/*} ;; *) parent=. ;; esac
    if [ -e "$root/$path" ] || [ -L "$root/$path" ]; then
      { mkdir -p "$work/old/$parent" && mv "$root/$path" "$work/old/$path"; } || { broke=$path; break; }
      aside="$path $aside"
    fi
    if [ -e "$work/new/$path" ] || [ -L "$work/new/$path" ]; then
      { mkdir -p "$root/$parent" && mv "$work/new/$path" "$root/$path"; } || { broke=$path; break; }
      placed="$path $placed"
    fi
  done
  if [ -n "$broke" ]; then
    undone=1
    for path in $placed; do rm -rf "${root:?}/$path" || undone=0; done
    for path in $aside; do mv "$work/old/$path" "$root/$path" || undone=0; done
    if [ "$undone" = 1 ]; then rm -rf "$work"; printf '@restore-failed moving %s into place failed; the root is as the failed apply left it\n' "$broke"
    else printf '@restore-failed moving %s into place failed, and putting the root back failed too: the files before the restore are in %s/old, the archive'"'"'s in %s/new\n' "$broke" "$work" "$work"; fi
    return 1
  fi
  rm -rf "$work"
  # The root's filesystem (not every one: a busy host's other disks can take long).
  sync -f "$root" 2>/dev/null || sync
  printf '@swapped\n'
}

# magento_in ROOT ARGS...: bin/magento under the configured PHP.
magento_in() { cd "$1" || exit 1; shift; exec "$php" bin/magento "$@"; }

# composer_in ROOT ARGS...: Composer in ROOT, the credentials first on stdin.
composer_in() {
  IFS= read -r auth
  root=$1; shift
  exec </dev/null
  run_composer "$@"
}

# The cross-node lock, var/$lock_name: advisory, so that web nodes sharing the root see
# an apply. Made with mkdir and exclusive creation only, removed file by file (never
# recursively); its "owner" file holds the holder line.

# lock_claim LOCK LINE: prints "@took", or "@held LINE" (the holder's line, "-" when
# unreadable) and "@legacy FIRST-LINE" when it holds an earlier version's marker.
lock_claim() {
  [ -d "${1%/*}" ] || mkdir -p "${1%/*}" 2>/dev/null
  new=$(mktemp -d "$1.XXXXXX") || { printf '@lock-failed cannot create a directory next to %s\n' "$1"; return 0; }
  if (set -C; printf '%s\n' "$2" > "$new/owner") 2>/dev/null && [ ! -e "$1" ] && [ ! -L "$1" ] && mv "$new" "$1" 2>/dev/null && [ ! -e "$1/${new##*/}" ]; then
    printf '@took\n'; return 0
  fi
  rm -f "$new/owner" "$1/${new##*/}/owner" 2>/dev/null
  rmdir "$new" "$1/${new##*/}" 2>/dev/null
  holder=$(head -n 1 "$1/owner" 2>/dev/null | tr -d '\000-\037\177' | cut -c1-300)
  printf '@held %s\n' "${holder:--}"
  if [ -f "$1/changing" ]; then printf '@legacy %s\n' "$(head -n 1 "$1/changing" | tr -d '\000-\037\177' | cut -c1-300)"; fi
}

# lock_drop LOCK LINE: removes LOCK when its owner file still holds LINE.
lock_drop() {
  holder=""; { IFS= read -r holder < "$1/owner"; } 2>/dev/null
  [ "$holder" = "$2" ] || return 0
  rm -f "$1/owner" && rmdir "$1" 2>/dev/null
}
