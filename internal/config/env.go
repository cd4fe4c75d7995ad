package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// LookupEnv reads the environment for ${NAME} references; a seam for
// tests, os.LookupEnv by default.
var LookupEnv = os.LookupEnv

// expansion is one value that took text from the environment.
type expansion struct {
	path    string // key path of the value
	value   string // the value after expansion
	written string // the value as written in the file
}

// expandEnv replaces each ${NAME} in a string value with the environment
// variable NAME, so secrets such as a feed's token stay out of the file:
// "url: https://example.org/feed?token=${FEED_TOKEN}". "$${" writes a
// literal "${". An unset variable is an error; a set but empty one expands
// to "". Keys, numbers and booleans are not expanded.
func expandEnv(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
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
			return "", fmt.Errorf("unterminated ${ (write $${ for a literal ${)")
		}
		name := s[i+2 : i+end]
		if !validEnvName(name) {
			return "", fmt.Errorf("invalid environment variable name %q in ${%s}", name, name)
		}
		v, ok := LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
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
	expanded, err := expandEnv(s.Value)
	if err != nil {
		k.fail(n, path, "%v", err)
		return
	}
	k.cfg.expanded = append(k.cfg.expanded, expansion{path: path, value: expanded, written: s.Value})
	s.Value = expanded
}

// hideExpanded replaces, in a message about path, the value the
// environment gave it with the value as written: "herald check" and every
// other config error must never print a secret taken from the environment.
func (c *Config) hideExpanded(path, msg string) string {
	for _, e := range c.expanded {
		if e.path == path && e.value != "" {
			msg = strings.ReplaceAll(msg, e.value, e.written)
		}
	}
	return msg
}
