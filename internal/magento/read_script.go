package magento

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
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

// Files are read when they exist and are not directories: a file that cannot answer
// (a hung NFS mount, a FIFO) blocks the read until its timeout rather than passing for
// "no Magento here".
//
// extractPrelude checks that the host has the tools the reader needs (else it prints
// "@fatal ..." and stops), and defines x FILE KIND, which prints the @pkg lines of one
// JSON file (or "@error unreadable FILE"). Lock and installed.json (1-2 MB in a real
// shop) take the grep fast path; anything else, a file grep cannot pair, or a grep that
// fails (exit status 2: an option it lacks), the full parser. An awk that fails is
// "@fatal": its silence must not read as "no Magento here". The apply script uses x
// too, to verify.
var extractPrelude = `missing=
for tool in grep awk tr; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done
[ -z "$missing" ] || { echo "@fatal not installed on the host:$missing (the reader needs grep, awk and tr)"; exit 0; }
` + "a=" + shell.Quote(extractAWK) + "\nf=" + shell.Quote(pairAWK) + "\ni=" + shell.Quote(interesting) + "\n" +
	`x() {
  { [ -e "$1" ] && [ ! -d "$1" ]; } || return 0
  [ -r "$1" ] || { echo "@error unreadable $1"; return 0; }
  case "$2" in lock|installed)
    g=$(grep -E -A1 -- "$i" "$1"); c=$?
    if [ "$c" -le 1 ]; then
      o=$(printf '%s\n' "$g" | awk -v kind="$2" "$f") || { echo "@fatal awk failed on the host reading $1"; return 0; }
      case "$o" in *@fallback*) ;; *) [ -z "$o" ] || printf '%s\n' "$o"; return 0 ;; esac
    fi ;;
  esac
  tr ',' '\n' < "$1" | awk -v kind="$2" "$a" || echo "@fatal awk failed on the host reading $1"
}
`

// batchAWK reads, first, one line per root that passed the checks ("INDEX DMTDIR\1ROOT"),
// then "\1@end", then `grep -H -Z -A1` output over every root's lock and installed.json
// (NUL turned into \1, which no root path holds). It pairs names with versions as
// pairAWK does, prints "@root N" and the @pkg lines of each root the fast path fully
// answers, and last "@slow N..." for the others: a file grep could not pair, no Magento
// package in the lock (a git clone), or a tool directory missing from installed.json.
const batchAWK = `BEGIN { s = sprintf("%c", 1) }
!g {
  if ($0 == s "@end") { g = 1; next }
  p = index($0, s); split(substr($0, 1, p - 1), a, " ")
  ok[substr($0, p + 1)] = 1; root[a[1]] = substr($0, p + 1); dmt[a[1]] = a[2]; next
}
{
  p = index($0, s)
  if (p == 0) { n = ""; next }
  f = substr($0, 1, p - 1); l = substr($0, p + 1)
  if (f != cur) {
    cur = f; n = ""; r = ""; kind = ""
    if (f ~ /\/composer\.lock$/) { kind = "lock"; r = substr(f, 1, length(f) - 14) }
    else if (f ~ /\/vendor\/composer\/installed\.json$/) { kind = "installed"; r = substr(f, 1, length(f) - 31) }
    if (!(r in ok)) r = ""
  }
  if (r == "") next
  if (l ~ /"name": ?"magento\//) names[r]++
  if (l ~ /^[ \t]*"name": ?"[^"]*",?$/) { n = l; sub(/^[ \t]*"name": ?"/, "", n); sub(/",?$/, "", n); next }
  if (n != "" && l ~ /^[ \t]*"version": ?"[^"]*",?$/) { v = l; sub(/^[ \t]*"version": ?"/, "", v); sub(/",?$/, "", v); out[r] = out[r] "@pkg " kind " " n " " v "\n"; pairs[r]++ }
  n = ""
}
END {
  for (k in root) {
    r = root[k]; o = out[r]
    if (names[r] > pairs[r] || (o !~ /@pkg lock magento\/product-/ && o !~ /@pkg lock magento\/magento2-base /) || (dmt[k] == "yes" && o !~ /@pkg installed magento\/data-migration-tool /)) sl = sl " " k
    else printf "@root %s\n%s", k, o
  }
  print "@slow" sl
}`

// rootChecks prints why $r cannot be read ("@error ..."), or runs the commands that
// follow it when it can.
const rootChecks = `if [ ! -e "$r" ]; then echo "@error missing"
elif [ ! -d "$r" ]; then echo "@error notdir"
elif [ ! -x "$r" ] || [ ! -r "$r" ]; then echo "@error unreadable $r"
elif [ ! -f "$r/` + fileRootJSON + `" ]; then echo "@error nocomposer"
else
`

// readScript is ONE shell command that reads every root in roots. Output is grouped by
// "@root N" lines (a root may appear more than once; its lines add up): "@error KIND
// DETAIL", or the package lines and "@dmtdir yes|no"; when tools is set, "@php" and
// "@composer" lines too. It never boots Magento or Composer.
//
// The cost on the host is processes, not bytes: grep reads 1.7 MB in about half a
// millisecond, about what starting a process costs, and reading each root on its own
// started six. So the checks per root are shell builtins, ONE grep reads the lock and
// installed.json of every root, and one awk sorts its output by root. Roots
// that grep cannot answer (see batchAWK) take the per-root path, which also parses the
// root composer.json (git clones) and the tool's own composer.json.
func readScript(roots []string, tools *Tools) string {
	var b strings.Builder
	b.WriteString(extractPrelude)
	b.WriteString("R() { case $1 in\n")
	var fast, slowOnly []string
	for i, root := range roots {
		fmt.Fprintf(&b, "%d) r=%s ;;\n", i, shell.Quote(root))
		// The grep output is split on \1 and the root list on newlines: a root holding
		// either (no real one does) skips the fast path rather than risk a mix-up.
		if strings.ContainsAny(root, "\n\x01") {
			slowOnly = append(slowOnly, strconv.Itoa(i))
		} else {
			fast = append(fast, strconv.Itoa(i))
		}
	}
	b.WriteString("esac; }\n")
	b.WriteString(readRoots(strings.Join(fast, " "), strings.Join(slowOnly, " ")))
	if tools != nil {
		fmt.Fprintf(&b, "echo \"@php $(%s -v 2>&1 | head -n 1)\"\n", shell.Quote(tools.PHP))
		fmt.Fprintf(&b, "echo \"@composer $(COMPOSER_ALLOW_SUPERUSER=1 %s --no-plugins --no-ansi --version 2>/dev/null | grep -i '^composer' | head -n 1)\"\n", shell.Quote(tools.Composer))
	}
	return b.String()
}

// readRoots reads the roots numbered fast (shell words: the grep path first) and
// slowOnly (the per-root path only), given a function R that sets $r to root N.
func readRoots(fast, slowOnly string) string {
	return "b=" + shell.Quote(batchAWK) + `
S() { R "$1"; echo "@root $1"
` + rootChecks + `o=$(x "$r/` + fileLock + `" lock; x "$r/` + fileInstalled + `" installed); [ -z "$o" ] || printf '%s\n' "$o"
case "$o" in *"@pkg lock magento/product-"*|*"@pkg lock magento/magento2-base "*) ;; *) x "$r/` + fileRootJSON + `" root ;; esac
if [ -d "$r/` + dirDMT + `" ]; then echo "@dmtdir yes"
  case "$o" in *"@pkg installed ` + Package + ` "*) ;; *) x "$r/` + fileDMTJSON + `" dmt ;; esac
else echo "@dmtdir no"; fi
fi; }
` + "s=" + shell.Quote("\x01") + `; nl='
'; m=; set --
for k in ` + fast + `; do R $k; echo "@root $k"
` + rootChecks + `d=no; [ ! -d "$r/` + dirDMT + `" ] || d=yes; echo "@dmtdir $d"; e=
  for q in "$r/` + fileLock + `" "$r/` + fileInstalled + `"; do
    { [ -e "$q" ] && [ ! -d "$q" ]; } || continue
    if [ -r "$q" ]; then set -- "$@" "$q"; else echo "@error unreadable $q"; e=1; fi
  done
  [ -n "$e" ] || m="$m$k $d$s$r$nl"
fi
done
o=$({ printf '%s%s@end\n' "$m" "$s"; [ $# -eq 0 ] || grep -H -Z -E -A1 -- "$i" "$@" 2>/dev/null | tr '\000' "$s"; } | awk "$b")
case "$o" in *@slow*) printf '%s\n' "${o%@slow*}"; set -- ${o##*@slow} ;; *) set -- ` + fast + ` ;; esac
for k in "$@" ` + slowOnly + `; do S "$k"; done
`
}
