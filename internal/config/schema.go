package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[time.Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
)

// lineCol is a place in the file, used to find the key path of a token
// goccy reports an error about.
type lineCol struct{ line, col int }

// checker walks the parsed YAML against the Go types of the schema before
// decoding. goccy's decoder stops at the first problem and, with
// DisallowUnknownField, names an arbitrary one of several unknown keys
// (it ranges over a map); walking the AST ourselves reports every unknown
// key and wrong type at once, in file order, each with its key path.
type checker struct {
	cfg   *Config
	errs  []error
	keys  map[string]token.Position // key path → key position, for keys set to a non-null value
	paths map[lineCol]string        // key and value positions → key path

	anchors map[string]anchor // anchor name → anchored value, see alias.go
	nodes   int               // nodes visited, aliases expanded
	aliased int               // values the aliases met so far stand for
	// expanding counts the aliases being expanded around the node being
	// checked.
	expanding int
	stopped   bool // past maxAliasValues: the walk checks nothing more
	// bad are the nodes an error was reported about (values of the wrong
	// type, keys not in the schema): left out of the lenient decode that
	// lets Validate report the rest at once (see prune).
	bad map[ast.Node]bool
	// suggested are the key paths a "did you mean" named: a problem
	// Validate then finds there is the typo's, already reported.
	suggested map[string]bool
}

func (k *checker) fail(n ast.Node, path, format string, args ...any) {
	if k.stopped {
		return
	}
	if k.bad == nil {
		k.bad = map[ast.Node]bool{}
	}
	if n != nil {
		k.bad[n] = true
	}
	e := k.cfg.errorAt(nil, path, format, args...)
	if pos, ok := nodePos(n); ok {
		e.Line, e.Column = pos.Line, pos.Column
	}
	k.errs = append(k.errs, e)
}

func (k *checker) index(n ast.Node, path string) {
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		k.paths[lineCol{tk.Position.Line, tk.Position.Column}] = path
	}
}

// unwrap returns the value under tags and anchors.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

func isNull(n ast.Node) bool {
	_, ok := unwrap(n).(*ast.NullNode)
	return n == nil || ok
}

// check reports problems with node n, found at path, decoded into t.
func (k *checker) check(path string, n ast.Node, t reflect.Type) {
	// An anchor is defined once its node is complete, so an alias inside
	// it ("&a [*a]") is undefined, as for the decoder.
	start, anchored := k.nodes, n
	defer func() { k.noteAnchors(anchored, k.nodes-start) }()
	n = unwrap(n)
	if n == nil || k.stopped {
		return
	}
	k.nodes++
	k.index(n, path)
	switch v := n.(type) {
	case *ast.NullNode:
		return
	case *ast.AliasNode:
		k.alias(path, v, t)
		return
	}
	if t == nil {
		k.checkUnknown(path, n)
		return
	}
	k.expandNode(path, n)

	switch t {
	case durationType:
		s, ok := n.(*ast.StringNode)
		if !ok {
			k.fail(n, path, "expected a duration such as \"30s\" or \"15m\", got %s", describe(n))
			return
		}
		if _, err := time.ParseDuration(s.Value); err != nil {
			k.fail(n, path, "invalid duration %q: use a number and a unit (ns, us, ms, s, m, h) such as \"30s\" or \"720h\"", s.Value)
		}
		return
	case byteSizeType:
		switch v := n.(type) {
		case *ast.IntegerNode:
			return
		case *ast.StringNode:
			if _, err := parseByteSize(v.Value); err != nil {
				k.fail(n, path, "%v", err)
			}
		default:
			k.fail(n, path, "expected a size such as \"10MiB\", got %s", describe(n))
		}
		return
	}

	switch t.Kind() {
	case reflect.Struct:
		k.checkStruct(path, n, t)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			k.fail(n, path, "expected a list, got %s", describe(n))
			return
		}
		for i, v := range seq.Values {
			k.check(fmt.Sprintf("%s[%d]", path, i), v, t.Elem())
		}
	case reflect.String:
		switch n.(type) {
		case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		default:
			k.fail(n, path, "expected a string, got %s", describe(n))
		}
	case reflect.Int:
		k.integer(path, n)
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			k.fail(n, path, "expected true or false, got %s", describe(n))
		}
	}
}

func (k *checker) checkStruct(path string, n ast.Node, t reflect.Type) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		k.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(t)
	for _, mv := range values {
		if mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			k.merge(path, mv.Value, t) // "<<: *base"
			continue
		}
		name := keyName(mv.Key)
		p := name
		if path != "" {
			p = path + "." + name
		}
		k.index(mv.Key, p)
		ft, ok := fields[name]
		if !ok {
			msg := "unknown key"
			if s := suggest(name, t); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
				if k.suggested == nil {
					k.suggested = map[string]bool{}
				}
				k.suggested[strings.TrimSuffix(p, name)+s] = true
			}
			k.fail(mv.Key, p, "%s", msg)
			k.check(p, mv.Value, nil) // for its anchors and aliases
			continue
		}
		if !isNull(mv.Value) {
			if pos, ok := nodePos(mv.Key); ok {
				k.keys[p] = pos
			}
		}
		k.check(p, mv.Value, ft)
	}
}

// checkUnknown walks a value under an unknown key (reported already): it
// has no schema to check, but its anchors may be used elsewhere and its
// aliases count against the bound like any others.
func (k *checker) checkUnknown(path string, n ast.Node) {
	switch v := n.(type) {
	case *ast.MappingNode:
		for _, mv := range v.Values {
			k.checkUnknown(path, mv)
		}
	case *ast.MappingValueNode:
		switch {
		case v.Key == nil:
		case v.Key.IsMergeKey():
			k.merge(path, v.Value, nil)
		default:
			k.check(path+"."+keyName(v.Key), v.Value, nil)
		}
	case *ast.SequenceNode:
		for i, e := range v.Values {
			k.check(fmt.Sprintf("%s[%d]", path, i), e, nil)
		}
	}
}

func keyName(n ast.MapKeyNode) string {
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return n.String()
}

// yamlFields maps the YAML keys of struct type t to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		m[name] = f.Type
	}
	return m
}

// suggest returns the key of t closest to a misspelt name, if one is close.
func suggest(name string, t reflect.Type) string {
	best, bestDist := "", 3
	for f := range t.Fields() {
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		if d := editDistance(name, key); d < bestDist {
			best, bestDist = key, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b:
// Levenshtein plus the swap of two neighbouring letters as one edit, the
// commonest typing slip ("itme" is one edit from "item", two from "name").
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// describe names a node's value for "expected X, got Y" messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.StringNode:
		s := v.Value
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s)
	case *ast.IntegerNode, *ast.FloatNode:
		return "the number " + n.GetToken().Value
	case *ast.BoolNode:
		return n.GetToken().Value
	}
	return "a " + n.Type().YAMLName()
}

// prune removes from the document under n what the checker reported: a
// mapping entry whose key is unknown is dropped, a value of the wrong type
// becomes null. What remains decodes, so Validate can report every other
// problem together with the checker's, instead of after they are fixed.
func prune(n ast.Node, bad map[ast.Node]bool) {
	null := func(at ast.Node) ast.Node {
		tk := token.New("null", "null", &token.Position{})
		if t := at.GetToken(); t != nil && t.Position != nil {
			tk.Position = t.Position
		}
		return ast.Null(tk)
	}
	switch v := n.(type) {
	case *ast.TagNode:
		prune(v.Value, bad)
	case *ast.AnchorNode:
		if bad[v.Value] || bad[unwrap(v.Value)] {
			v.Value = null(v.Value)
			return
		}
		prune(v.Value, bad)
	case *ast.MappingNode:
		kept := v.Values[:0]
		for _, mv := range v.Values {
			if mv.Key != nil && bad[mv.Key] {
				continue
			}
			prune(mv, bad)
			kept = append(kept, mv)
		}
		v.Values = kept
	case *ast.MappingValueNode:
		if bad[v.Value] || bad[unwrap(v.Value)] {
			v.Value = null(v.Value)
			return
		}
		prune(v.Value, bad)
	case *ast.SequenceNode:
		for i, e := range v.Values {
			if bad[e] || bad[unwrap(e)] {
				v.Values[i] = null(e)
				continue
			}
			prune(e, bad)
		}
	}
}
