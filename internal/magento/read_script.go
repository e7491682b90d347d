package magento

import (
	"fmt"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// The files the reader looks at, relative to the Magento root.
const (
	fileRootJSON  = "composer.json"
	fileLock      = "composer.lock"
	fileInstalled = "vendor/composer/installed.json"
	dirDMT        = "vendor/magento/data-migration-tool"
	fileDMTJSON   = dirDMT + "/composer.json"
)

// extractAWK prints "@pkg KIND NAME VERSION" for each JSON object that has a "name"
// and "version" of interest, whatever the key order and nesting. Only these few bytes
// come back, not the 1-2 MB lock file. Input is pre-split on commas so one-line
// (minified) JSON works too; strings are removed before braces are counted.
const extractAWK = `function emit() {
  if (ver[d] != "" && ((d in nm && nm[d] ~ want) || (d == 1 && (kind == "root" || kind == "dmt"))))
    print "@pkg", kind, (d in nm ? nm[d] : "-"), ver[d]
  delete nm[d]; delete ver[d]
}
function structure(s,   i, c) {
  if (index(s, "{") == 0 && index(s, "}") == 0) return
  gsub(/"([^"\\]|\\.)*"/, "", s)
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (c == "{") d++
    else if (c == "}") { emit(); d-- }
  }
}
BEGIN { want = "^magento/(product-[a-z0-9-]+-edition|magento2-base|magento2-ee-base|data-migration-tool)$" }
{
  if (match($0, /"(name|version)"[ \t]*:[ \t]*"[^"]*"/)) {
    kv = substr($0, RSTART, RLENGTH); post = substr($0, RSTART + RLENGTH)
    structure(substr($0, 1, RSTART - 1))
    key = kv; sub(/^"/, "", key); sub(/".*/, "", key)
    val = kv; sub(/^"[a-z]+"[ \t]*:[ \t]*"/, "", val); sub(/"$/, "", val)
    if (key == "name") nm[d] = val; else ver[d] = val
    structure(post)
  } else structure($0)
}`

// pairAWK reads `grep -A1` output of a Composer-written file, where "version" is the
// line right after "name" (Composer writes both keys first, one per line). It prints
// the @pkg lines, or "@fallback" when any name found has no version on the next line
// (a file not written by Composer, or minified), so the full parser runs instead.
const pairAWK = `{
  if ($0 ~ /"name": ?"magento\//) names++
  if ($0 ~ /^[ \t]*"name": ?"[^"]*",?$/) { n = $0; sub(/^[ \t]*"name": ?"/, "", n); sub(/",?$/, "", n); next }
  if (n != "" && $0 ~ /^[ \t]*"version": ?"[^"]*",?$/) { v = $0; sub(/^[ \t]*"version": ?"/, "", v); sub(/",?$/, "", v); print "@pkg", kind, n, v; pairs++ }
  n = ""
}
END { if (pairs < names) print "@fallback" }`

// interesting is what the grep fast path looks for in composer.lock and installed.json.
const interesting = `"name": ?"magento/(product-[a-z0-9-]+-edition|magento2-base|magento2-ee-base|data-migration-tool)"`

// extractPrelude defines x FILE KIND, which prints the @pkg lines of one JSON file
// (or "@error unreadable FILE"). Lock and installed.json (1-2 MB in a real shop) take
// the grep fast path; anything else, or a file grep cannot pair, the full parser. The
// apply script uses x too, to verify.
var extractPrelude = "a=" + remote.Quote(extractAWK) + "\nf=" + remote.Quote(pairAWK) + "\ni=" + remote.Quote(interesting) + "\n" +
	`x() {
  [ -f "$1" ] || return 0
  [ -r "$1" ] || { echo "@error unreadable $1"; return 0; }
  case "$2" in lock|installed)
    o=$(grep -E -A1 "$i" "$1" | awk -v kind="$2" "$f")
    case "$o" in *@fallback*) ;; *) [ -z "$o" ] || printf '%s\n' "$o"; return 0 ;; esac ;;
  esac
  tr ',' '\n' < "$1" | awk -v kind="$2" "$a"
}
`

// readScript is ONE shell command that reads every root in roots: for each, a "@root N"
// line, then either "@error KIND DETAIL" or the package lines, "@dmtdir yes|no", and
// (when tools is set) "@php" and "@composer" lines. The root composer.json (git clones)
// and the tool's own composer.json are parsed only when the lock and installed.json do
// not answer. It never boots Magento or Composer;
// tools adds `php -v` and `composer --version` for the data source only.
func readScript(roots []string, tools *Tools) string {
	var b strings.Builder
	b.WriteString(extractPrelude)
	for i, root := range roots {
		fmt.Fprintf(&b, "r=%s; echo \"@root %d\"\n", remote.Quote(root), i)
		b.WriteString(`if [ ! -e "$r" ]; then echo "@error missing"
elif [ ! -d "$r" ]; then echo "@error notdir"
elif [ ! -x "$r" ] || [ ! -r "$r" ]; then echo "@error unreadable $r"
elif [ ! -f "$r/` + fileRootJSON + `" ]; then echo "@error nocomposer"
else
o=$(x "$r/` + fileLock + `" lock; x "$r/` + fileInstalled + `" installed); [ -z "$o" ] || printf '%s\n' "$o"
case "$o" in *"@pkg lock magento/product-"*|*"@pkg lock magento/magento2-base "*) ;; *) x "$r/` + fileRootJSON + `" root ;; esac
if [ -d "$r/` + dirDMT + `" ]; then echo "@dmtdir yes"
  case "$o" in *"@pkg installed ` + Package + ` "*) ;; *) x "$r/` + fileDMTJSON + `" dmt ;; esac
else echo "@dmtdir no"; fi
fi
`)
	}
	if tools != nil {
		fmt.Fprintf(&b, "echo \"@php $(%s -v 2>&1 | head -n 1)\"\n", remote.Quote(tools.PHP))
		fmt.Fprintf(&b, "echo \"@composer $(COMPOSER_ALLOW_SUPERUSER=1 %s --no-plugins --no-ansi --version 2>/dev/null | grep -i '^composer' | head -n 1)\"\n", remote.Quote(tools.Composer))
	}
	return b.String()
}
