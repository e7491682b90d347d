#!/usr/bin/env bash
# Installs what the tests need on a Debian machine, only where it is missing:
# OpenSSH (sshd, ssh-agent), PHP CLI, Composer, sudo, BusyBox (an Alpine-like host
# for the tests) and shellcheck (make lint) from Debian, and the Terraform
# CLI built from source with `go install` into a cache directory (~/.cache/terraform-provider-magento).
set -euo pipefail

terraform_bin=$1
terraform_version=$2

missing=()
for pair in /usr/sbin/sshd:openssh-server ssh-agent:openssh-client php:php-cli composer:composer sudo:sudo busybox:busybox shellcheck:shellcheck; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root (or install ${missing[*]} yourself)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p /run/sshd

# version.dev=no makes it report "Terraform v1.8.5" as a release does, not "-dev"; a
# binary cached by an older build without the flag is rebuilt.
if [ ! -x "$terraform_bin" ] || TF_CLI_CONFIG_FILE=/dev/null "$terraform_bin" version 2>/dev/null | head -n 1 | grep -q -- '-dev'; then
  echo "deps: building Terraform v$terraform_version (about 3 minutes, once)"
  GOBIN=$(dirname "$terraform_bin") go install -ldflags "-X github.com/hashicorp/terraform/version.dev=no" \
    "github.com/hashicorp/terraform@v$terraform_version"
fi
