# shellcheck shell=sh
# Defines composer_exec ARGS..., which replaces the shell with Composer. Hosts with
# several PHP versions have an old OS PHP first on PATH, and composer.phar (or an OS
# package's composer) starts with `#!/usr/bin/env php`: with php set, a Composer that is
# a PHP program (a .phar, or a first line that is a php shebang or `<?php`) runs as
# "$composer_php" PATH, as Deployer's bin/composer does; a shell wrapper runs as it is.
#
# Set by the renderer (exec.go): composer_cmd, composer_php (empty: php not set).
# shellcheck disable=SC2154
composer_exec() {
  if [ -n "$composer_php" ]; then
    case "$composer_cmd" in */*) composer_path=$composer_cmd ;; *) composer_path=$(command -v "$composer_cmd" 2>/dev/null) || composer_path="" ;; esac
    if [ -f "$composer_path" ]; then
      case "$composer_path" in *.phar) exec "$composer_php" "$composer_path" "$@" ;; esac
      composer_first=$(head -c 200 "$composer_path" 2>/dev/null | head -n 1)
      case "$composer_first" in '#!'*php*|'<?php'*) exec "$composer_php" "$composer_path" "$@" ;; esac
    fi
  fi
  exec "$composer_cmd" "$@"
}
