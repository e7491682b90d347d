# shellcheck shell=bash
# Sourced by the CLI build scripts: copy_module MODULE VERSION downloads a Go module's
# source through the module proxy (no release downloads) and copies it to a writable
# folder, $src, removed when the script exits.
copy_module() {
  local dir
  dir=$(go mod download -json "$1@v$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "could not download $1@v$2" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
  src=$work/src
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
}
