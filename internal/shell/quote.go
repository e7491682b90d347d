// Package shell holds what the SSH transport and the domain both speak: POSIX shell
// quoting and the outcome of a remote command. It imports no SSH library, so the
// domain (internal/magento) does not either.
package shell

import "strings"

// Quote returns s as one single-quoted POSIX shell word. Everything inside single
// quotes is literal, so the only character needing care is the quote itself, which is
// closed, escaped and reopened: it's -> 'it'\”s'.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
