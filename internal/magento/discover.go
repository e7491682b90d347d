package magento

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// GlobChars are the shell glob characters a search path may use; everything else in
// it is literal.
const GlobChars = "*?[]"

// Discover finds the Magento 2 roots among the directories that patterns (absolute
// paths with shell globs: * ? [...]) match on the host, and reads each, in one remote
// command. Directories that are not Magento (no composer.json, no Magento package) are
// left out; one that cannot be read is in the result with its error (an
// *InstallError of kind ErrUnreadable). A directory two patterns match is reported once
// (the host reads it twice: overlapping globs are rare and a read is cheap); the
// results are sorted by root.
func Discover(ctx context.Context, r Runner, patterns []string) ([]RootResult, error) {
	res, err := runRead(ctx, r, "discover Magento installations", discoverScript(patterns))
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w%s", strings.Join(patterns, ", "), err, causeHint(err))
	}
	candidates, err := parseCandidates(res.Stdout)
	if err != nil {
		return nil, err
	}
	read, err := parseRead(res.Stdout, candidates, false)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var found []RootResult
	for i, c := range read {
		root := CanonicalRoot(candidates[i])
		if seen[root] {
			continue
		}
		seen[root] = true
		var install *InstallError
		if errors.As(c.Err, &install) && install.Kind != ErrUnreadable {
			continue // not a Magento root: skipped silently
		}
		c.Installation.Root = root
		found = append(found, c)
	}
	slices.SortFunc(found, func(a, b RootResult) int { return strings.Compare(a.Installation.Root, b.Installation.Root) })
	return found, nil
}

// discoverScript expands the patterns on the host and reads the directories they match
// (discover.sh, then read.sh).
func discoverScript(patterns []string) string {
	words := make([]string, len(patterns))
	for i, p := range patterns {
		words[i] = globWord(p)
	}
	return extractPrelude + readValues + "set -- " + strings.Join(words, " ") + "\n" + discoverBody + readBody
}

// globWord is pattern as one shell word whose glob characters the shell expands;
// everything else is quoted, so nothing else in it ($, `, ;, spaces) is interpreted.
func globWord(pattern string) string {
	var b, lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			b.WriteString(shell.Quote(lit.String()))
			lit.Reset()
		}
	}
	for _, c := range pattern {
		if strings.ContainsRune(GlobChars, c) {
			flush()
			b.WriteRune(c)
		} else {
			lit.WriteRune(c)
		}
	}
	flush()
	return b.String()
}

// parseCandidates returns the paths of the "@cand N PATH" lines, by N. Lines before
// the first one are a login shell's noise; from the first on, the candidates come in
// order, one absolute path a line, and end at the first line of the read (or the
// output's end). Anything else is an error: a name must never add or cut an entry.
func parseCandidates(out []byte) ([]string, error) {
	var paths []string
	started, ended := false, false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		rest, isCand := strings.CutPrefix(line, "@cand ")
		switch {
		case !isCand && !started:
			continue
		case !isCand:
			ended = true
			continue
		case ended:
			return nil, fmt.Errorf("unexpected discovery output %q after the candidates", line)
		}
		started = true
		n, path, _ := strings.Cut(rest, " ")
		if n != strconv.Itoa(len(paths)) || !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("unexpected discovery output %q (want candidate %d)", line, len(paths))
		}
		paths = append(paths, path)
	}
	return paths, sc.Err()
}

// CanonicalRoot drops a trailing slash, repeated slashes and "." elements from an
// absolute path: the one form of a root in magento_root, ids, identities and lock and
// archive names (a pattern such as /var/www/*/ leaves a trailing slash). ".." stays:
// behind a symlink (Deployer's current) it is not the lexical parent.
func CanonicalRoot(p string) string {
	var parts []string
	for _, part := range strings.Split(p, "/") {
		if part != "" && part != "." {
			parts = append(parts, part)
		}
	}
	return "/" + strings.Join(parts, "/")
}
