package magento

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// readScript is ONE shell command that reads every root in roots (read.sh). Output is
// grouped by "@root N" lines (a root may appear more than once; its lines add up):
// "@error KIND DETAIL", or the package lines and "@dmtdir yes|no"; when tools is set,
// "@php" and "@composer" lines too: only then does it start PHP (`php -v`) and Composer
// (`composer --version`, without plugins), which the data source asks for and the
// resource's Read never does. It never boots Magento.
func readScript(roots []string, tools *Tools) string {
	var b strings.Builder
	b.WriteString(owedProbe(roots))
	b.WriteString(extractPrelude)
	b.WriteString(readValues)
	b.WriteString("select_root() { case $1 in\n")
	var fast, slowOnly []string
	for i, root := range roots {
		fmt.Fprintf(&b, "%d) root=%s ;;\n", i, shell.Quote(root))
		// The grep output is split on \1 and the root list on newlines: a root holding
		// either (no real one does) skips the fast path rather than risk a mix-up.
		if strings.ContainsAny(root, "\n\x01") {
			slowOnly = append(slowOnly, strconv.Itoa(i))
		} else {
			fast = append(fast, strconv.Itoa(i))
		}
	}
	b.WriteString("esac; }\n")
	b.WriteString(assign("fast_roots", strings.Join(fast, " "), "slow_roots", strings.Join(slowOnly, " ")))
	b.WriteString(readBody)
	if tools != nil {
		fmt.Fprintf(&b, "printf '@php %%s\\n' \"$(%s -v 2>&1 | head -n 1)\"\n", shell.Quote(tools.PHP))
		b.WriteString(composerLauncher(tools.PHP, tools.Composer))
		b.WriteString("printf '@composer %s\\n' \"$(COMPOSER_ALLOW_SUPERUSER=1 composer_exec --no-plugins --no-ansi --version 2>/dev/null | grep -i '^composer' | head -n 1)\"\n")
	}
	return b.String()
}

// sshUserPartEnds ends the part of a command that runs as the SSH user even when the
// rest runs as run_as (asUser.wrap splits there): a no-op line.
const sshUserPartEnds = ": ssh-user-part-ends\n"

// owedProbe prints "@owed N" for each root N whose private state directory (the SSH
// user's, where the apply keeps it) records a restore owed by an interrupted apply. It
// runs as the SSH user, before the sudo of run_as, and costs no process per root.
func owedProbe(roots []string) string {
	var b strings.Builder
	b.WriteString(`if [ "$(id -u)" = 0 ]; then owed_base=` + shell.Quote(RootStateBase) + `; else owed_base=${XDG_STATE_HOME:-$HOME/.local/state}/terraform-provider-magento; fi` + "\n")
	for i, root := range roots {
		fmt.Fprintf(&b, "[ -f \"$owed_base\"/%s/owed ] && printf '@owed %d\\n'\n", RootID(root), i)
	}
	b.WriteString(sshUserPartEnds)
	return b.String()
}
