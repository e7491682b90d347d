package remote

import "strings"

// Quote returns s as one single-quoted POSIX shell word. Everything inside single
// quotes is literal, so the only character needing care is the quote itself, which is
// closed, escaped and reopened: it's -> 'it'\”s'.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuoteAll quotes each value and joins them with spaces.
func QuoteAll(values ...string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = Quote(v)
	}
	return strings.Join(quoted, " ")
}
