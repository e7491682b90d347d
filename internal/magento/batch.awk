# Sorts one `grep -H -Z -A1` over the lock and installed.json of many roots by root.
# Input: first one line per root that passed the checks ("N HAS_TOOL\1ROOT"), then
# "\1@end", then grep's output with its NUL turned into \1 (no root path holds one).
# Output: "@root N" and the @pkg lines of each root the fast path fully answers, and
# last "@slow N..." for the others, which read.sh reads one by one: a file grep could
# not pair, no Magento package in the lock (a git clone), or a tool directory that
# installed.json does not list. Needs grep_pairs.awk before it.
BEGIN { sep = sprintf("%c", 1) }
!grepping {
  if ($0 == sep "@end") { grepping = 1; next }
  at = index($0, sep); split(substr($0, 1, at - 1), fields, " ")
  path = substr($0, at + 1)
  known[path] = 1; root[fields[1]] = path; has_tool[fields[1]] = fields[2]
  next
}
{
  at = index($0, sep)
  if (at == 0) { pending_name = ""; next } # grep's "--" between groups
  file = substr($0, 1, at - 1); line = substr($0, at + 1)
  if (file != current_file) {
    current_file = file; pending_name = ""; r = ""; kind = ""
    if (file ~ /\/composer\.lock$/) { kind = "lock"; r = substr(file, 1, length(file) - 14) }
    else if (file ~ /\/vendor\/composer\/installed\.json$/) { kind = "installed"; r = substr(file, 1, length(file) - 31) }
    if (!(r in known)) r = ""
  }
  if (r == "") next
  if (is_magento_name(line)) names[r]++
  pair = pair_line(line)
  if (pair != "") { out[r] = out[r] "@pkg " kind " " pair "\n"; pairs[r]++ }
}
END {
  for (n in root) {
    r = root[n]; o = out[r]
    if (names[r] > pairs[r] || (o !~ /@pkg lock magento\/product-/ && o !~ /@pkg lock magento\/magento2-base /) ||
        (has_tool[n] == "yes" && o !~ /@pkg installed magento\/data-migration-tool /)) slow = slow " " n
    else printf "@root %s\n%s", n, o
  }
  print "@slow" slow
}
