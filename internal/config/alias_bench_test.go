package config

import (
	"fmt"
	"strings"
	"testing"
)

// aliasBombs are the shapes of alias bomb a hostile config may take, each
// expanding to far more values than a config has.
func aliasBombs() map[string]string {
	srcs := "sources:\n  - name: local\n    type: files\n    path: ./articles\n"
	list := func(name string, i int) string {
		return strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*%s%d, ", name, i-1), 10), ", ")
	}
	var merge, mergeBad, laughs, mergeList, unknown strings.Builder
	// Merge keys: each feed merges ten copies of the one before.
	merge.WriteString(header + "feeds:\n  - &s0 {name: a, title: A, sources: [local]}\n")
	// The same, each copy with a wrong value: an error per copy.
	mergeBad.WriteString(header + "feeds:\n  - &s0 {name: a, title: A, sources: [local], limit: x}\n")
	// Billion laughs: lists of lists of aliases, under a []string field.
	laughs.WriteString(header + srcs + feeds + "redact_params: &l0 [a, b, c, d, e, f, g, h, i, j]\n")
	// Merge keys nested in a mapping field (fetch), never under a list.
	mergeList.WriteString(header + srcs + feeds + "x0: &m0 {retries: 1}\n")
	// Anchors under an unknown key, used by a known one.
	unknown.WriteString(header + srcs + feeds + "custom:\n  a0: &u0 [a, b, c, d, e, f, g, h, i, j]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&merge, "  - &s%d {<<: [%s]}\n", i, list("s", i))
		fmt.Fprintf(&mergeBad, "  - &s%d {<<: [%s]}\n", i, list("s", i))
		fmt.Fprintf(&laughs, "x%d: &l%d [%s]\n", i, i, list("l", i))
		fmt.Fprintf(&mergeList, "x%d: &m%d {<<: [%s]}\n", i, i, list("m", i))
		fmt.Fprintf(&unknown, "  a%d: &u%d [%s]\n", i, i, list("u", i))
	}
	merge.WriteString(srcs)
	mergeBad.WriteString(srcs)
	mergeList.WriteString("fetch: *m9\n")
	unknown.WriteString("redact_params: *u9\n")
	return map[string]string{
		"merge":     merge.String(),
		"merge-bad": mergeBad.String(),
		"laughs":    laughs.String(),
		"merge-map": mergeList.String(),
		"unknown":   unknown.String(),
	}
}

// nearBound is a merge bomb just inside maxAliasValues: the most
// expansion a file gets past the checker's bound (alias.go), so the
// slowest alias-laden file to check and decode.
func nearBound() string {
	var b strings.Builder
	b.WriteString(header + "sources:\n  - name: local\n    type: files\n    path: ./articles\nfeeds:\n  - &s0 {name: a, title: A, sources: [local]}\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&b, "  - &s%d {<<: [%s]}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*s%d, ", i-1), 10), ", "))
	}
	return b.String()
}

// BenchmarkAliasNearBound: the cost of the largest expansion accepted.
func BenchmarkAliasNearBound(b *testing.B) {
	doc := []byte(nearBound())
	for b.Loop() {
		Parse("config.yaml", doc) // its feeds share a name: refused, but only by Validate
	}
}

// BenchmarkAliasBomb: how long refusing an alias bomb takes (and, with
// -benchmem, how much it allocates).
func BenchmarkAliasBomb(b *testing.B) {
	for name, doc := range aliasBombs() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse("config.yaml", []byte(doc)); err == nil {
					b.Fatal("alias bomb accepted")
				}
			}
		})
	}
}
