# shellcheck shell=sh
# Prints what a release listing depends on in a root: its Composer manifest, a line
# holding only sep, then its auth.json (nothing when there is none). Reads files only.
# Set by the renderer (releases.go): manifest, auth_file, sep.
# shellcheck disable=SC2154
cat -- "$manifest" || exit 4
printf '\n%s\n' "$sep"
if [ -f "$auth_file" ]; then cat -- "$auth_file" || exit 4; fi
exit 0
