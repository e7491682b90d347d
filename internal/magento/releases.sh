# shellcheck shell=sh
# Prints `composer show --all --format=json` of the tool: every release the root's
# Composer repositories offer (repo.magento.com in production), newest first.
# Set by the renderer (scripts.go): package, and run_composer (exec.go).
# shellcheck disable=SC2154
run_composer show --all --no-interaction --no-ansi --format=json "$package"
