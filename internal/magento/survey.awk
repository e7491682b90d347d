# Reads `grep -n -A1` over a shop's composer.lock and vendor/composer/installed.json
# (lines "FILE:N:LINE", "FILE-N-LINE" and "--"), then the lock's "packages-dev" line
# (`grep -n -H`: the tool's entry is a dev package when it comes after that line, in a
# lock as Composer writes it), then composer.json itself, and
# prints a line each: Magento's version (as magento_version takes it), the tool's
# installed version (-v has_tool=yes|no: "" without its directory), where composer.lock
# locks the tool, and where composer.json requires it (as section.php tells them). Any
# line is "?" when these files are not as Composer writes them (a name without its
# version on the next line, a lock not laid out in 4-space indents, a JSON escape):
# owner_tasks.sh's one-by-one readers answer that line then. Needs grep_pairs.awk
# before it; -v package=NAME.
{
  if ($0 == "--") { pending_name = ""; next }
  if (index($0, "composer.lock") == 1) { file = "lock"; rest = substr($0, 14) }
  else if (index($0, "vendor/composer/installed.json") == 1) { file = "installed"; rest = substr($0, 31) }
  else next
  rest = substr(rest, 2); n = rest; sub(/[-:].*/, "", n); line = substr(rest, length(n) + 2); n += 0
  if (file != current) { current = file; pending_name = "" }
  if (file == "lock") {
    if (line ~ /^    "packages-dev": \[/) { dev++; dev_start = n; next }
    if (line ~ "\"name\": ?\"" package "\"") {
      named++
      if (line ~ /^            "name": "[^"]*",?$/) tool_lines[++tools] = n
    }
  }
  if (is_magento_name(line)) names[file]++
  pair = pair_line(line)
  if (pair == "") next
  pairs[file]++
  split(pair, f, " ")
  if (file == "lock" && f[1] ~ /^magento\/product-.*-edition$/ && product == "") product = f[2]
  if (file == "lock" && f[1] == "magento/magento2-base" && base == "") base = f[2]
  if (file == "installed" && f[1] == package && tool == "") tool = f[2]
}
# required_in(FILE): where FILE (composer.json) requires the package, following the JSON
# structure: the depth, and the last key at each depth (a key at depth 2 is a package of
# the depth-1 key).
function required_in(file,   s, c, depth, last, key, req, dev_req) {
  while ((getline s < file) > 0) {
    while (match(s, /[]["{}:]/)) {
      s = substr(s, RSTART); c = substr(s, 1, 1)
      if (c == "\"") {
        if (!match(s, /^"[^"\\]*"/)) { close(file); return "?" }
        last = substr(s, 2, RLENGTH - 2); s = substr(s, RLENGTH + 1); continue
      }
      if (c == ":") {
        key[depth] = last
        if (depth == 2 && last == package) { if (key[1] == "require") req = 1; else if (key[1] == "require-dev") dev_req = 1 }
      } else if (c == "{" || c == "[") depth++
      else depth--
      s = substr(s, 2)
    }
  }
  close(file)
  return req ? "require" : dev_req ? "require-dev" : "none"
}
END {
  magento = product != "" ? product : base
  if (names["lock"] > pairs["lock"] || magento == "") magento = "?"
  if (has_tool != "yes") tool = ""
  else if (names["installed"] > pairs["installed"] || tool == "") tool = "?"
  locked = "none"
  if (dev != 1 || named != tools) locked = "?"
  for (i = 1; i <= tools && locked != "?"; i++) {
    if (tool_lines[i] < dev_start) { locked = "packages"; break }
    locked = "packages-dev"
  }
  print magento; print tool; print locked; print required_in("composer.json")
}
