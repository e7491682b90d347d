# shellcheck shell=sh
# Prints `composer show --all --format=json` of the tool: every release the root's
# Composer repositories offer (repo.magento.com in production), newest first. It lists
# in a private temporary directory holding only a composer.json with the root's
# repository settings (stdin, after the credentials) and a copy of the root's auth.json,
# with plugins and scripts off: no shop's lock, installed.json or plugins are loaded.
# On success the list is also kept in $kept (releases_kept.sh reads it), for the apply of a
# saved plan made on another machine.
# Set by the renderer (releases.go): package, auth_file (may be empty), kept_name, and
# run_composer (exec.go), which runs in "$listing_dir".
# shellcheck disable=SC2154
IFS= read -r manifest
umask 077
listing_dir=$(mktemp -d "${TMPDIR:-/tmp}/tf-magento-releases.XXXXXXXX") || exit 1
trap 'rm -rf "$listing_dir"' EXIT
trap 'exit 143' HUP INT TERM
printf '%s\n' "$manifest" >"$listing_dir/composer.json" || exit 1
if [ -n "$auth_file" ] && [ -f "$auth_file" ]; then
  cat -- "$auth_file" >"$listing_dir/auth.json" || exit 1
fi
listed=$(run_composer show --all --no-plugins --no-scripts --no-interaction --no-ansi --format=json "$package") || exit $?
printf '%s\n' "$listed"
kept_dir=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magento/carried-releases
kept=$kept_dir/$kept_name
if mkdir -p "$kept_dir" 2>/dev/null && printf '%s\n%s\n' "$(date +%s)" "$listed" >"$kept.$$" 2>/dev/null; then
  mv -f "$kept.$$" "$kept" 2>/dev/null || rm -f "$kept.$$"
fi
exit 0
