# Reads `grep -A1` output of one Composer-written file and prints its packages as
# "@pkg KIND NAME VERSION" (KIND given with -v kind=lock|installed), or "@fallback" when
# a magento/* name has no version on the next line (a file Composer did not write, or
# minified JSON), so that extract_packages runs the full parser instead.
# Needs grep_pairs.awk before it.
{
  if (is_magento_name($0)) magento_names++
  pair = pair_line($0)
  if (pair != "") { print "@pkg", kind, pair; pairs++ }
}
END { if (pairs < magento_names) print "@fallback" }
