# shellcheck shell=sh
# Prints the release list the last listing with these settings kept (releases.sh): the
# time it was listed (seconds since the epoch) on the first line, then Composer's JSON.
# Prints nothing when there is none.
# Set by the renderer (releases.go): kept_name.
# shellcheck disable=SC2154
cat -- "${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magento/carried-releases/$kept_name" 2>/dev/null
exit 0
