package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/heraldfeed/herald/feed"
)

// lookupEnv reads the environment for ${NAME} references; a seam for
// tests, os.LookupEnv by default.
var lookupEnv = os.LookupEnv

// expansion is one value that took text from the environment.
type expansion struct {
	path    string // key path of the value
	value   string // the value after expansion
	written string // the value as written in the file
	vars    []span // where each variable's text landed in value
}

// span is the text one ${NAME} put in an expanded value: value[start:end].
type span struct {
	name       string
	start, end int
}

// expandEnv replaces each ${NAME} in a string value with the environment
// variable NAME, so secrets such as a feed's token stay out of the file:
// "url: https://example.org/feed?token=${FEED_TOKEN}". "$${" writes a
// literal "${". An unset variable is an error; a set but empty one expands
// to "". Keys, numbers and booleans are not expanded.
func expandEnv(s string) (string, []span, error) {
	if !strings.Contains(s, "${") {
		return s, nil, nil
	}
	var b strings.Builder
	var vars []span
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), vars, nil
		}
		if i > 0 && s[i-1] == '$' { // "$${" is a literal "${"
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", nil, fmt.Errorf("unterminated ${ (write $${ for a literal ${)")
		}
		name := s[i+2 : i+end]
		if !validEnvName(name) {
			return "", nil, fmt.Errorf("invalid environment variable name %q in ${%s}", name, name)
		}
		v, ok := lookupEnv(name)
		if !ok {
			return "", nil, fmt.Errorf("environment variable %s is not set", name)
		}
		vars = append(vars, span{name: name, start: b.Len(), end: b.Len() + len(v)})
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// expandNode expands the environment references of a scalar string node
// in place, recording the expansion so messages about path can show the
// value as written instead of what the environment put in it.
func (k *checker) expandNode(path string, n ast.Node) {
	var s *ast.StringNode
	switch v := n.(type) {
	case *ast.StringNode:
		s = v
	case *ast.LiteralNode:
		s = v.Value
	}
	if s == nil || !strings.Contains(s.Value, "${") {
		return
	}
	expanded, vars, err := expandEnv(s.Value)
	if err != nil {
		k.fail(n, path, "%v", err)
		return
	}
	k.cfg.expanded = append(k.cfg.expanded, expansion{path: path, value: expanded, written: s.Value, vars: vars})
	s.Value = expanded
}

// hideExpanded replaces, in a message about path, the value the
// environment gave it with the value as written: "herald check" and every
// other config error must never print a secret taken from the environment.
// Messages quote a value whole (%q), so only the whole quoted value is
// replaced: replacing bare text would rewrite every word that merely
// contains a short value's letters, and show which letters those are.
func (c *Config) hideExpanded(path, msg string) string {
	for _, e := range c.expanded {
		if e.path == path && e.value != "" {
			msg = strings.ReplaceAll(msg, strconv.Quote(e.value), strconv.Quote(e.written))
		}
	}
	// A message may quote part of a value (a URL's host, a parse error's
	// fragment): a variable's text long enough to be told from ordinary
	// words is shown by its name wherever it appears.
	for _, e := range c.expanded {
		for _, v := range e.vars {
			if text := e.value[v.start:v.end]; len(text) >= feed.MinSecretLength {
				msg = strings.ReplaceAll(msg, text, "${"+v.name+"}")
			}
		}
	}
	return msg
}
