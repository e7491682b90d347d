package remote

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The wrapper around github.com/kevinburke/ssh_config: the library reads keyword
// lines, and this file rewrites what it reads differently from OpenSSH before it sees
// them. Every Host and Match line becomes "Host <blockName(n)>", with its condition kept
// here (patterns split on blanks and tabs, matched with OpenSSH's * and ?; Match
// criteria); Include lines are replaced by the files they name, with their own lines
// rewritten the same way (a trailing comment or extra blanks are only blanks). origin
// maps each line of the text the library reads back to its file and line.

// maxIncludeDepth is OpenSSH's READCONF_MAX_DEPTH.
const maxIncludeDepth = 16

const blockPrefix = "__tfm_block_"

func blockName(n int) string { return fmt.Sprintf("%s%d", blockPrefix, n) }

// origin is where a line of the rewritten text was written.
type origin struct {
	path    string
	line    int
	include string // "line N of path" of the Include that brought the file in, if any
}

func (o origin) String() string {
	if o.include != "" {
		return fmt.Sprintf("%s line %d (through Include at %s)", o.path, o.line, o.include)
	}
	return fmt.Sprintf("%s line %d", o.path, o.line)
}

// block is the condition of one Host or Match line. parent is the block an Include
// sat in: a block of an included file applies only when that one does (as OpenSSH's
// SSHCONF_NEVERMATCH); a continuation re-opens the parent after the included file.
type block struct {
	parent       int // -1: none
	continuation bool
	host         []string    // Host patterns, as written
	match        []criterion // Match criteria
	at           origin
}

type rewriter struct {
	out     []string
	origins []origin
	blocks  []block
}

// rewrite reads path (depth deep in Includes) into r. current is the block its lines
// start in (-1 = none).
func (r *rewriter) rewrite(path string, current int, include string, depth int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading ssh config_file: %w", err)
	}
	parent := current
	for i, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		at := origin{path: path, line: i + 1, include: include}
		keyword, rest := splitKeyword(line)
		switch strings.ToLower(keyword) {
		case "host", "match":
			words, err := splitArgs(rest)
			if err != nil {
				return fmt.Errorf("ssh config file: %s: %w", at, err)
			}
			words = untilComment(words)
			blk := block{parent: parent, at: at}
			if strings.EqualFold(keyword, "host") {
				blk.host = words
			} else if blk.match, err = parseMatch(words, at); err != nil {
				return err
			}
			current = r.open(blk, at)
		case "include":
			if depth >= maxIncludeDepth {
				return fmt.Errorf("ssh config file: Include (%s) nests more than %d files deep", at, maxIncludeDepth)
			}
			words, err := splitArgs(rest)
			if err != nil {
				return fmt.Errorf("ssh config file: %s: %w", at, err)
			}
			r.add("", at) // the Include line itself
			for _, pattern := range untilComment(words) {
				files, err := filepath.Glob(includePath(pattern))
				if err != nil {
					return fmt.Errorf("ssh config file: Include %q (%s): %w", pattern, at, err)
				}
				for _, file := range files {
					from := fmt.Sprintf("line %d of %s", i+1, path)
					if include != "" {
						from += " (through Include at " + include + ")"
					}
					if err := r.rewrite(file, current, from, depth+1); err != nil {
						return err
					}
				}
				if len(files) > 0 {
					// The lines after the Include belong to the block it sat in again.
					current = r.open(block{parent: current, continuation: true, at: at}, at)
				}
			}
		default:
			r.add(line, at)
		}
	}
	return nil
}

// open starts a new block and returns its number.
func (r *rewriter) open(b block, at origin) int {
	r.blocks = append(r.blocks, b)
	r.add("Host "+blockName(len(r.blocks)-1), at)
	return len(r.blocks) - 1
}

func (r *rewriter) add(line string, at origin) {
	r.out = append(r.out, line)
	r.origins = append(r.origins, at)
}

// splitKeyword splits a line into its keyword and the rest, as OpenSSH does: blanks or
// one "=" end the keyword.
func splitKeyword(line string) (keyword, rest string) {
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' {
		return "", ""
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return line, ""
	}
	rest = strings.TrimLeft(line[end:], " \t")
	rest = strings.TrimLeft(strings.TrimPrefix(rest, "="), " \t")
	return line[:end], rest
}

// untilComment drops the words from the first that begins with #.
func untilComment(words []string) []string {
	for i, w := range words {
		if strings.HasPrefix(w, "#") {
			return words[:i]
		}
	}
	return words
}

// includePath is an Include pattern as OpenSSH reads it: ~ is the home directory, and
// a relative path is under ~/.ssh.
func includePath(p string) string {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		return filepath.Join(passwdHome(), p[1:])
	case filepath.IsAbs(p):
		return p
	}
	return filepath.Join(passwdHome(), ".ssh", p)
}
