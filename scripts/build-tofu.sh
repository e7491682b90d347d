#!/usr/bin/env bash
# Builds the OpenTofu CLI from its Go module source (no release downloads needed):
# download the module, copy it somewhere writable, go build ./cmd/tofu.
set -euo pipefail
out=$1
version=$2
[ -x "$out" ] && exit 0
echo "deps: building OpenTofu v$version from source (a few minutes, once)"
# shellcheck source=scripts/module-source.sh
. "$(dirname "$0")/module-source.sh"
copy_module github.com/opentofu/opentofu "$version"
mkdir -p "$(dirname "$out")"
(cd "$src" && CGO_ENABLED=0 go build -o "$out" ./cmd/tofu)
