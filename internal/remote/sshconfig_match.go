package remote

import (
	"fmt"
	"strings"
)

// criterion is one Match criterion: host, originalhost, user, localuser (with a
// comma-separated pattern list) or all, possibly negated with "!".
type criterion struct {
	name     string
	patterns string
	negated  bool
}

// supportedMatch are the criteria evaluated as OpenSSH does; others (exec, canonical,
// final, localnetwork, tagged, ...) are refused.
var supportedMatch = map[string]bool{"all": true, "host": true, "originalhost": true, "user": true, "localuser": true}

func parseMatch(words []string, at origin) ([]criterion, error) {
	if len(words) == 0 {
		return nil, fmt.Errorf("ssh config file: Match (%s) has no criteria", at)
	}
	var out []criterion
	for i := 0; i < len(words); i++ {
		c := criterion{name: strings.ToLower(strings.TrimPrefix(words[i], "!")), negated: strings.HasPrefix(words[i], "!")}
		if !supportedMatch[c.name] {
			return nil, fmt.Errorf("ssh config file: Match %s (%s) is not supported: only Match host, originalhost, user, localuser and all are; "+
				"write the hosts it selects as Host patterns, or use a config file without it", words[i], at)
		}
		if c.name == "all" {
			if len(words) > 1 {
				return nil, fmt.Errorf("ssh config file: Match all (%s) must stand alone", at)
			}
			out = append(out, c)
			continue
		}
		if i+1 == len(words) {
			return nil, fmt.Errorf("ssh config file: Match %s (%s) has no pattern", words[i], at)
		}
		i++
		c.patterns = words[i]
		out = append(out, c)
	}
	return out, nil
}

// matchState is what Match criteria are evaluated against while a host is resolved:
// the values obtained so far, as in OpenSSH.
type matchState struct {
	alias, hostName, user, localUser string
}

func (c criterion) matches(s matchState) bool {
	var ok bool
	switch c.name {
	case "all":
		ok = true
	case "host":
		host := s.alias
		if s.hostName != "" {
			host = ExpandTokens(s.hostName, Tokens{Host: s.alias, Alias: s.alias})
		}
		ok = matchPatternList(strings.ToLower(host), c.patterns, true)
	case "originalhost":
		ok = matchPatternList(strings.ToLower(s.alias), c.patterns, true)
	case "user":
		user := s.user
		if user == "" {
			user = s.localUser
		}
		ok = matchPatternList(user, c.patterns, false)
	case "localuser":
		ok = matchPatternList(s.localUser, c.patterns, false)
	}
	return ok != c.negated
}

// matchPatternList is OpenSSH's match_pattern_list: a comma-separated list matches when
// a pattern matches and no negated one ("!pattern") does.
func matchPatternList(s, list string, fold bool) bool {
	return matchPatterns(s, strings.Split(list, ","), fold)
}

// matchPatterns is the same over separate patterns (a Host line's).
func matchPatterns(s string, patterns []string, fold bool) bool {
	found := false
	for _, p := range patterns {
		negated := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if fold {
			p = strings.ToLower(p)
		}
		if matchPattern(s, p) {
			if negated {
				return false
			}
			found = true
		}
	}
	return found
}

// matchPattern is OpenSSH's match_pattern: * matches any run, ? exactly one character.
func matchPattern(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if matchPattern(s[i:], p[1:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		s, p = s[1:], p[1:]
	}
	return s == ""
}
