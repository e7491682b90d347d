#!/usr/bin/env bash
# Builds a Terraform CLI that `go install` cannot build (1.9 and later: the repository
# holds nested modules for the remote-state backends that the module proxy does not
# serve). It copies the module source somewhere writable, drops those nested modules
# (and internal/legacy, which only they use) from go.mod and the backend registry, and
# builds with version.dev=no so the binary reports "Terraform vX.Y.Z" as a release does.
set -euo pipefail
out=$1
version=$2
built() { [ -x "$out" ] && [ "$(TF_CLI_CONFIG_FILE=/dev/null "$out" version 2>/dev/null | sed -n 1p)" = "Terraform v$version" ]; }
built && exit 0
echo "deps: building Terraform v$version from its module source (about 4 minutes, once)"
# shellcheck source=scripts/module-source.sh
. "$(dirname "$0")/module-source.sh"
copy_module github.com/hashicorp/terraform "$version"
cd "$src"

dropped='azure consul cos gcs kubernetes oci oss pg s3'
pattern='internal/legacy'
for b in $dropped; do pattern="$pattern|internal/backend/remote-state/$b"; done
# go.mod: the require lines and the replace lines that name a dropped module.
grep -Ev "github.com/hashicorp/terraform/($pattern)[[:space:]]" go.mod > go.mod.new
mv go.mod.new go.mod
# init.go: the imports of the dropped backends and their entries in the backend map.
init=internal/backend/init/init.go
for b in $dropped; do
  grep -v "\"github.com/hashicorp/terraform/internal/backend/remote-state/$b\"" "$init" > "$init.new"
  mv "$init.new" "$init"
done
grep -Ev 'backend(Azure|Consul|Cos|GCS|Kubernetes|OCI|OSS|Pg|S3)\.New\(\)' "$init" > "$init.new"
mv "$init.new" "$init"

mkdir -p "$(dirname "$out")"
CGO_ENABLED=0 go build -ldflags "-X github.com/hashicorp/terraform/version.dev=no" -o "$out" .
built || { echo "the build does not report Terraform v$version" >&2; exit 1; }
