#!/usr/bin/env bash
# Runs `terraform validate` on every example against the provider built by `make install`
# (TF_CLI_CONFIG_FILE holds its dev_overrides), so the docs never show a setting the
# schema rejects. Each file is validated on its own (the provider examples are
# alternatives, each with its own provider block); an import example is validated with
# the resource.tf of its folder, which declares what it imports into; a query file
# (.tfquery.hcl) with the .tf files beside it, by `terraform validate -query`. Examples that do
# not name the provider's source get it, as a user's root module would; file("~/.ssh/...")
# reads a stand-in key from a throwaway home.
set -euo pipefail
examples=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home
mkdir -p "$HOME/.ssh"
touch "$HOME/.ssh/id_ed25519"

failed=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  casedir=$work/$(echo "$file" | tr '/' '_')
  mkdir -p "$casedir"
  cp "$file" "$casedir/"
  query=
  case $(basename "$file") in
    import*.tf) cp "$dir/resource.tf" "$casedir/" ;;
    *.tfquery.hcl) query=-query; cp "$dir"/*.tf "$casedir/" 2>/dev/null || true ;;
  esac
  if ! cat "$casedir"/*.tf 2>/dev/null | grep -q required_providers; then
    printf 'terraform {\n  required_providers {\n    magento = { source = "magento-ops/magento" }\n  }\n}\n' >"$casedir/providers.tf"
  fi
  if ! out=$(terraform -chdir="$casedir" validate -no-color $query 2>&1); then
    echo "$file: terraform validate failed:"
    echo "$out"
    failed=1
  fi
done < <(find "$examples" -name '*.tf' -o -name '*.tfquery.hcl' | sort)
[ "$failed" -eq 0 ] && echo "examples: every file validates against the provider"
exit "$failed"
