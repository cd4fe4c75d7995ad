package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// noteAnchors records the anchors on n ("&base") once n has been checked,
// so an alias met later in the walk resolves.
func (k *checker) noteAnchors(n ast.Node) {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			if v.Name != nil {
				k.anchors[v.Name.String()] = v.Value
			}
			n = v.Value
		default:
			return
		}
	}
}

// visit counts a node the walk looks at and reports whether the walk must
// stop: past maxNodes (aliases of aliases multiply), checking and decoding
// would take exponential time and memory.
func (k *checker) visit(n ast.Node, path string) bool {
	if k.stopped {
		return true
	}
	k.nodes++
	if k.nodes > maxNodes {
		k.fail(n, path, "aliases expand to more than %d values", maxNodes)
		k.stopped = true
		return true
	}
	return false
}

// alias checks the node an alias ("*base") stands for as if it were
// written at path, and places the problems found at the alias: the
// decoder's own messages would name Go types or no place at all.
func (k *checker) alias(path string, n *ast.AliasNode, t reflect.Type) {
	name := ""
	if n.Value != nil {
		name = n.Value.String()
	}
	target, ok := k.anchors[name]
	if !ok {
		k.fail(n, path, "undefined alias *%s: define the anchor &%s before using it", name, name)
		return
	}
	before := len(k.errs)
	k.check(path, target, t)
	pos, ok := nodePos(n)
	for _, err := range k.errs[before:] {
		if e, isErr := err.(*Error); isErr && ok {
			e.Line, e.Column = pos.Line, pos.Column
			e.Msg += fmt.Sprintf(" (through alias *%s)", name)
		}
	}
}

// merge checks the value of a merge key ("<<: *base") into struct type t:
// an alias of a mapping, or a list of them.
func (k *checker) merge(path string, n ast.Node, t reflect.Type) {
	n = unwrap(n)
	switch v := n.(type) {
	case *ast.AliasNode:
		k.alias(path, v, t)
	case *ast.SequenceNode:
		for _, e := range v.Values {
			k.merge(path, e, t)
		}
	default:
		k.check(path, n, t)
	}
}

// integer checks an int value: an integer that fits.
func (k *checker) integer(path string, n ast.Node) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		if u, ok := v.Value.(uint64); ok && u > math.MaxInt64 {
			k.fail(n, path, "integer too large")
		}
	case *ast.StringNode:
		if isDigits(v.Value) {
			k.fail(n, path, "integer too large")
			return
		}
		k.fail(n, path, "expected an integer, got %s", describe(n))
	default:
		k.fail(n, path, "expected an integer, got %s", describe(n))
	}
}

func isDigits(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// countAliases refuses, before anything walks or decodes the document, a
// file whose aliases stand for more than maxAliasValues values in all:
// an alias bomb ("billion laughs", merge keys of merge keys) then costs
// one linear pass instead of an expansion. Each anchor's size (its
// values, aliases inside it expanded) is computed once and each alias
// adds its anchor's size, so the pass never expands anything. Undefined
// aliases count for nothing here; the checker reports them.
func (c *Config) countAliases(body ast.Node) error {
	a := aliasCounter{sizes: map[string]int{}}
	a.size(body)
	if a.at == nil {
		return nil
	}
	e := c.errorAt(nil, a.path(), "aliases expand to more than %d values: write the values out, or use fewer aliases of aliases", maxAliasValues)
	if pos, ok := nodePos(a.at); ok {
		e.Line, e.Column = pos.Line, pos.Column
	}
	return e
}

// aliasCounter is countAliases' walk.
type aliasCounter struct {
	sizes map[string]int // anchor name → values it stands for
	added int            // values the aliases met so far stand for
	keys  []pathPart     // the key path to the node being counted
	at    *ast.AliasNode // the alias past the bound; the walk stops there
	where []pathPart     // keys when at was met
}

// pathPart is one step of a key path: a key, or an index when key is "".
type pathPart struct {
	key   string
	index int
}

// size returns the number of values n stands for, aliases expanded.
// Depth is bounded by checkShape (MaxDepth), so recursion is safe.
func (a *aliasCounter) size(n ast.Node) int {
	if n == nil || a.at != nil {
		return 0
	}
	switch v := n.(type) {
	case *ast.TagNode:
		return a.size(v.Value)
	case *ast.AnchorNode:
		// Defined once its value is complete: an alias inside it is
		// undefined, as for the decoder and the checker.
		s := a.size(v.Value)
		if v.Name != nil {
			a.sizes[v.Name.String()] = s
		}
		return s
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.String()
		}
		s := a.sizes[name]
		if a.added += s; a.added > maxAliasValues {
			a.at, a.where = v, slices.Clone(a.keys)
		}
		return s
	case *ast.MappingNode:
		total := 1
		for _, mv := range v.Values {
			total += a.size(mv)
		}
		return total
	case *ast.MappingValueNode:
		// A merge key's values land in the mapping that holds it, so its
		// path is the mapping's, as in the checker's messages.
		if v.Key == nil || v.Key.IsMergeKey() {
			if seq, ok := v.Value.(*ast.SequenceNode); ok {
				total := 2
				for _, e := range seq.Values {
					total += a.size(e)
				}
				return total
			}
			return 1 + a.size(v.Value)
		}
		a.keys = append(a.keys, pathPart{key: keyName(v.Key)})
		s := a.size(v.Value)
		a.keys = a.keys[:len(a.keys)-1]
		return 1 + s
	case *ast.SequenceNode:
		total := 1
		for i, e := range v.Values {
			a.keys = append(a.keys, pathPart{index: i})
			total += a.size(e)
			a.keys = a.keys[:len(a.keys)-1]
		}
		return total
	default:
		return 1
	}
}

// path renders where as a key path ("feeds[9]"), as the checker does.
func (a *aliasCounter) path() string {
	var b strings.Builder
	for _, p := range a.where {
		if p.key == "" {
			fmt.Fprintf(&b, "[%d]", p.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.key)
	}
	return b.String()
}
