#!/usr/bin/env bash
# Builds the OpenTofu CLI from its Go module source (no release downloads needed):
# download the module, copy it somewhere writable, go build ./cmd/tofu.
set -euo pipefail
out=$1
version=$2
[ -x "$out" ] && exit 0
echo "deps: building OpenTofu v$version from source (a few minutes, once)"
dir=$(go mod download -json "github.com/opentofu/opentofu@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "could not download github.com/opentofu/opentofu@v$version" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
mkdir -p "$(dirname "$out")"
(cd "$work/src" && CGO_ENABLED=0 go build -o "$out" ./cmd/tofu)
