package config

import (
	"fmt"
	"math"
	"reflect"

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
