# The full parser: prints "@pkg KIND NAME VERSION" for each JSON object that has a
# "name" and "version" of interest, whatever the key order and nesting (KIND given
# with -v kind=lock|installed|root|dmt; for root and dmt the top-level object counts
# even without a name). Only these few bytes come back, not the 1-2 MB lock file. The
# input is split on commas first, so one-line (minified) JSON works too; strings are
# removed before braces are counted.
function emit() {
  if (version_at[depth] != "" && ((depth in name_at && name_at[depth] ~ want) || (depth == 1 && (kind == "root" || kind == "dmt"))))
    print "@pkg", kind, (depth in name_at ? name_at[depth] : "-"), version_at[depth]
  delete name_at[depth]; delete version_at[depth]
}
function structure(text,   i, char) {
  if (index(text, "{") == 0 && index(text, "}") == 0) return
  gsub(/"([^"\\]|\\.)*"/, "", text)
  for (i = 1; i <= length(text); i++) {
    char = substr(text, i, 1)
    if (char == "{") depth++
    else if (char == "}") { emit(); depth-- }
  }
}
BEGIN { want = "^magento/(product-[a-z0-9-]+-edition|magento2-base|magento2-ee-base|data-migration-tool)$" }
{
  if (match($0, /"(name|version)"[ \t]*:[ \t]*"[^"]*"/)) {
    pair = substr($0, RSTART, RLENGTH); post = substr($0, RSTART + RLENGTH)
    structure(substr($0, 1, RSTART - 1))
    key = pair; sub(/^"/, "", key); sub(/".*/, "", key)
    val = pair; sub(/^"[a-z]+"[ \t]*:[ \t]*"/, "", val); sub(/"$/, "", val)
    if (key == "name") name_at[depth] = val; else version_at[depth] = val
    structure(post)
  } else structure($0)
}
