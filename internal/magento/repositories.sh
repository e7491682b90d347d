# shellcheck shell=sh
# Prints what a release listing depends on in a root: a line "UID OWNER OWNER_UID" (the
# SSH user's uid, the name and uid of the manifest's owner: who lists when run_as is
# unset and the SSH user is root), its Composer manifest, a line holding only sep, then
# its auth.json (nothing when there is none). Reads files only.
# Set by the renderer (releases.go): manifest, auth_file, sep.
# shellcheck disable=SC2154
# shellcheck disable=SC2012
printf '%s %s %s\n' "$(id -u)" "$(ls -ld "$manifest" 2>/dev/null | awk '{ print $3 }')" "$(ls -ldn "$manifest" 2>/dev/null | awk '{ print $3 }')"
cat -- "$manifest" || exit 4
printf '\n%s\n' "$sep"
if [ -f "$auth_file" ]; then cat -- "$auth_file" || exit 4; fi
exit 0
