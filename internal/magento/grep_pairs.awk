# Pairs Composer's "name" and "version" lines in the output of `grep -A1` over a
# Composer-written JSON file (composer.lock, vendor/composer/installed.json). Composer
# writes both keys first in each package, one per line, so the version is the line
# right after the name. Shared by pair.awk (one file) and batch.awk (every root's files
# in one grep). Callers count magento/* names with is_magento_name: a name left without
# a version means a file Composer did not write, which the full parser (extract.awk)
# then reads.

# pair_line(line) returns "NAME VERSION" for a version line right after a name line,
# else "" (a name line is remembered for the next call).
function pair_line(line,   version) {
  if (line ~ /^[ \t]*"name": ?"[^"]*",?$/) {
    pending_name = line; sub(/^[ \t]*"name": ?"/, "", pending_name); sub(/",?$/, "", pending_name)
    return ""
  }
  if (pending_name != "" && line ~ /^[ \t]*"version": ?"[^"]*",?$/) {
    version = line; sub(/^[ \t]*"version": ?"/, "", version); sub(/",?$/, "", version)
    version = pending_name " " version; pending_name = ""
    return version
  }
  pending_name = ""
  return ""
}

function is_magento_name(line) { return line ~ /"name": ?"magento\// }
