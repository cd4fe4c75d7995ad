package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Error is one problem in a config file. Load, Parse and Validate return
// either a single *Error or several joined with errors.Join; use
// errors.As to get the first, or unwrap the join to get them all.
type Error struct {
	File   string // the path as given to Load or Parse
	Line   int    // 1-based; 0 when the problem has no place in the file
	Column int    // 1-based; 0 when Line is 0
	Path   string // key path such as "sources[1].url"; empty for the whole file
	Msg    string
}

// Error formats e as "file:line:col: path: msg", leaving out the parts
// that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// fileName is how messages name the file.
func (c *Config) fileName() string {
	if c.name != "" {
		return c.name
	}
	return c.Path
}

// errorAt returns an *Error placed at tk (which may be nil).
func (c *Config) errorAt(tk *token.Token, path, format string, args ...any) *Error {
	e := &Error{File: c.fileName(), Path: path, Msg: c.hideExpanded(path, fmt.Sprintf(format, args...))}
	if tk != nil && tk.Position != nil {
		e.Line, e.Column = tk.Position.Line, tk.Position.Column
	}
	return e
}

// errorAtPos is errorAt for a position already looked up.
func (c *Config) errorAtPos(pos token.Position, path, format string, args ...any) *Error {
	return &Error{File: c.fileName(), Line: pos.Line, Column: pos.Column, Path: path, Msg: c.hideExpanded(path, fmt.Sprintf(format, args...))}
}

// yamlError turns an error from goccy's parser or decoder into an *Error.
// goccy's errors carry the token they are about but not the key path,
// so paths (built by the checker, indexed by token position) names it.
func (c *Config) yamlError(err error, paths map[lineCol]string) error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &Error{File: c.fileName(), Msg: err.Error()}
	}
	tk := ye.GetToken()
	msg := ye.GetMessage()
	var path string
	if tk != nil && tk.Position != nil {
		path = paths[lineCol{tk.Position.Line, tk.Position.Column}]
	}
	var se *yaml.SyntaxError
	if errors.As(err, &se) && paths == nil {
		msg = "syntax error: " + msg
	}
	return c.errorAt(tk, path, "%s", msg)
}

// errorFor returns an *Error about the value at path ("sources[1].url"),
// placed at that value in the file. When the value is absent (a missing
// required key), it is placed at the closest enclosing node that exists,
// so "sources[1].url: required" points at sources[1].
func (c *Config) errorFor(path, format string, args ...any) *Error {
	e := &Error{File: c.fileName(), Path: path, Msg: c.hideExpanded(path, fmt.Sprintf(format, args...))}
	if pos, ok := c.locate(path); ok {
		e.Line, e.Column = pos.Line, pos.Column
	}
	return e
}

// errorForKey is errorFor placed at the key of path rather than its
// value: right for "this key should not be here".
func (c *Config) errorForKey(path, format string, args ...any) *Error {
	if pos, ok := c.keys[path]; ok {
		return c.errorAtPos(pos, path, format, args...)
	}
	return c.errorFor(path, format, args...)
}

// locate finds where the node at path, or its closest existing ancestor,
// starts in the file.
func (c *Config) locate(path string) (token.Position, bool) {
	if c.file == nil {
		return token.Position{}, false
	}
	for p := path; ; p = parentPath(p) {
		if n := c.lookup(p); n != nil {
			if pos, ok := nodePos(n); ok {
				return pos, true
			}
		}
		if p == "" {
			return token.Position{}, false
		}
	}
}

// lookup returns the node at a checker-style path, nil if there is none.
func (c *Config) lookup(path string) ast.Node {
	yp, err := yaml.PathString("$" + dotted(path))
	if err != nil {
		return nil
	}
	n, err := yp.FilterFile(c.file)
	if err != nil {
		return nil
	}
	return n
}

// dotted makes a checker path ("sources[1].url") a goccy path suffix
// (".sources[1].url").
func dotted(path string) string {
	if path == "" || strings.HasPrefix(path, "[") {
		return path
	}
	return "." + path
}

// parentPath drops the last element of a path: "a[1].b" → "a[1]" → "a" → "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// nodePos is where a node starts as a reader would point at it. goccy
// places a block mapping at the colon of its first key; the key itself
// is where the mapping visibly begins.
func nodePos(n ast.Node) (token.Position, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return nodePos(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return nodePos(m.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return token.Position{}, false
	}
	return *tk.Position, true
}
