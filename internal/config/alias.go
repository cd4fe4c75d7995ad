package config

import (
	"fmt"
	"math"
	"reflect"

	"github.com/goccy/go-yaml/ast"
)

// An alias bomb ("billion laughs", merge keys of merge keys) is refused
// by the walk that checks the file, expanding no more than the bound:
// each anchor's size is the number of nodes its check visited (aliases
// inside it expanded), and each alias written in the file adds its
// anchor's size to what the aliases met so far stand for (one met while
// expanding another is inside that one's size). The alias that would take
// that past maxAliasValues stops the walk before it is expanded, so a
// bomb costs a linear pass, and the decoder after the walk expands at
// most that much.

// noteAnchors records the anchors on n ("&base") once n has been checked,
// with size, the nodes checking it visited, so an alias met later in the
// walk resolves.
func (k *checker) noteAnchors(n ast.Node, size int) {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			if v.Name != nil {
				k.anchors[v.Name.String()] = anchor{v.Value, size}
			}
			n = v.Value
		default:
			return
		}
	}
}

// anchor is an anchored value and its size.
type anchor struct {
	value ast.Node
	size  int
}

// alias checks the node an alias ("*base") stands for as if it were
// written at path, and places the problems found at the alias: the
// decoder's own messages would name Go types or no place at all.
func (k *checker) alias(path string, n *ast.AliasNode, t reflect.Type) {
	if k.stopped {
		return
	}
	name := ""
	if n.Value != nil {
		name = n.Value.String()
	}
	target, ok := k.anchors[name]
	if !ok {
		k.fail(n, path, "undefined alias *%s: define the anchor &%s before using it", name, name)
		return
	}
	if k.expanding > 0 {
		// Inside an alias being expanded: its anchor's size counted
		// this one already.
	} else if k.aliased += target.size; k.aliased > maxAliasValues {
		// The only message: whatever else the file holds, this is what
		// its author has to change first.
		k.errs = nil
		k.fail(n, path, "aliases expand to more than %d values: write the values out, or use fewer aliases of aliases", maxAliasValues)
		k.stopped = true
		return
	}
	before := len(k.errs)
	k.expanding++
	k.check(path, target.value, t)
	k.expanding--
	if k.stopped {
		return // the bound's message is the only one
	}
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
