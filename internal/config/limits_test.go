package config

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestParseLimits: inputs that used to exhaust memory or time, and
// messages that named no place or Go internals.
func TestParseLimits(t *testing.T) {
	srcs := "sources:\n  - name: local\n    type: files\n    path: ./articles\n"
	manyKeys := func(n int) string {
		var b strings.Builder
		b.WriteString(header)
		for i := range n {
			fmt.Fprintf(&b, "k%d: 1\n", i)
		}
		return b.String()
	}
	blockNest := func(n int) string {
		var b strings.Builder
		b.WriteString(header + "fetch:\n")
		for i := range n {
			fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", 2*(i+1)), i)
		}
		return b.String()
	}
	bomb := func(levels int) string {
		var b strings.Builder
		b.WriteString(header + "feeds:\n  - &s0 {name: a, title: A, sources: [local]}\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "  - &s%d {<<: [%s]}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*s%d, ", i-1), 10), ", "))
		}
		return b.String() + srcs
	}
	tests := []struct {
		name string
		yaml string
		want string // the first message
		more string // a later message, if any
	}{
		{name: "flow nesting bomb", yaml: "title: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n",
			want: "config.yaml:1:39: nested more than 32 levels deep"},
		{name: "flow nesting in a map", yaml: header + "fetch: " + strings.Repeat("{a: ", 40) + "1" + strings.Repeat("}", 40) + "\n",
			want: "config.yaml:3:132: nested more than 32 levels deep"},
		{name: "block nesting", yaml: blockNest(40), want: "config.yaml:35:65: nested more than 32 levels deep"},
		{name: "compact lists", yaml: header + "redact_params:\n" + strings.Repeat("- ", 40) + "x\n",
			want: "config.yaml:4:81: nested more than 32 levels deep"},
		{name: "quadratic keys", yaml: manyKeys(100000), want: "config.yaml:101:1: more than 100 keys in one mapping"},
		{name: "too many values", yaml: header + "redact_params: [" + strings.Repeat("a,", 200000) + "a]\n", want: "config.yaml:3:200012: more than 100000 values"},
		{name: "a screenful of errors", yaml: manyKeys(90), want: "config.yaml:3:1: k0: unknown key", more: "config.yaml: … and 70 more problems"},
		{name: "too large", yaml: header + "description: \"" + strings.Repeat("x", 4*MaxFileSize) + "\"\n", want: "config.yaml: file is 4194365 bytes, over the 1 MiB limit"},
		{name: "utf-16 without a byte order mark", yaml: string(utf16LE("title: x\n", false)), want: "config.yaml: file contains NUL bytes: save it as UTF-8 text"},
		{name: "not utf-8", yaml: header + "description: caf\xe9\n", want: "config.yaml:3:1: not valid UTF-8: save the file as UTF-8"},
		{name: "empty", yaml: "", want: "config.yaml:1:1: file is empty: a config needs at least title, base_url, sources and feeds"},
		{name: "undefined merge alias", yaml: header + srcs + "fetch:\n  <<: *nope\n" + feeds,
			want: "config.yaml:8:7: fetch: undefined alias *nope: define the anchor &nope before using it"},
		{name: "alias list under feeds", yaml: header + "redact_params: &l [a, b]\n" + srcs + "feeds: *l\n",
			want: `config.yaml:8:8: feeds[0]: expected a mapping, got "a" (through alias *l)`},
		{name: "integer too large", yaml: header + srcs + feeds + "fetch:\n  retries: 9223372036854775808\n",
			want: "config.yaml:12:12: fetch.retries: integer too large"},
		{name: "integer far too large", yaml: header + srcs + feeds + "fetch:\n  retries: 99999999999999999999999\n",
			want: "config.yaml:12:12: fetch.retries: integer too large"},
		{name: "retries", yaml: header + srcs + feeds + "fetch:\n  retries: 9223372036854775807\n",
			want: "config.yaml:12:12: fetch.retries: at most 10, got 9223372036854775807"},
		{name: "long feed name", yaml: header + srcs + "feeds:\n  - name: " + strings.Repeat("a", 100000) + "\n    title: A\n    sources: [local]\n",
			want: "config.yaml:8:11: feeds[0].name: at most 100 characters, got 100000"},
		{name: "feed limit", yaml: header + srcs + feeds + "    limit: 100000000\n", want: "config.yaml:11:12: feeds[0].limit: at most 10000, got 100000000"},
		{name: "files source without path", yaml: header + "sources:\n  - name: local\n    type: files\n" + feeds,
			want: "config.yaml:4:5: sources[0].path: required for a files source"},
		{name: "alias bomb", yaml: bomb(7), want: "config.yaml:9:15: feeds[5]: aliases expand to more than 100000 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			lines := errorLines(err)
			if !strings.Contains(lines[0], tt.want) {
				t.Errorf("first error = %q, want %q", lines[0], tt.want)
			}
			if len(lines) > maxErrors+1 {
				t.Errorf("%d errors, want at most %d and a count", len(lines), maxErrors)
			}
			if tt.more != "" && lines[len(lines)-1] != tt.more {
				t.Errorf("last error = %q, want %q", lines[len(lines)-1], tt.more)
			}
			for _, l := range lines {
				if strings.Contains(l, "interface {}") || strings.Contains(l, "Go value") || strings.Contains(l, "struct field") {
					t.Errorf("message shows Go internals: %s", l)
				}
			}
		})
	}
}

func utf16LE(s string, bom bool) []byte {
	var out []byte
	if bom {
		out = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestParseUTF16: a UTF-16 file with a byte order mark reads like UTF-8.
func TestParseUTF16(t *testing.T) {
	c, err := Parse("config.yaml", utf16LE("title: Café\nbase_url: http://localhost/\nsources:\n  - name: local\n    type: files\n    path: .\n"+feeds, true))
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "Café" {
		t.Errorf("title = %q", c.Title)
	}
}

// TestParseSelfAlias: an alias inside its own anchor is undefined (it
// used to send the schema check into endless recursion).
func TestParseSelfAlias(t *testing.T) {
	for _, doc := range []string{"fetch: &a {<<: *a}\n", "redact_params: &a [*a]\n", "sources:\n  - &a {name: x, <<: *a}\n"} {
		_, err := Parse("config.yaml", []byte(header+doc))
		if err == nil || !strings.Contains(err.Error(), "undefined alias *a") {
			t.Errorf("%q: err = %v, want an undefined alias", doc, err)
		}
	}
}

// TestParseAliasBombs: every shape of alias bomb is refused before it is
// expanded, at the alias that crosses the bound, with its key path; a
// file whose aliases stay inside the bound is not refused for them.
func TestParseAliasBombs(t *testing.T) {
	bombs := aliasBombs()
	tests := []struct {
		name string
		yaml string
		want string // the only message
	}{
		{name: "merge keys", yaml: bombs["merge"], want: "config.yaml:9:15: feeds[5]: aliases expand to more than 100000 values"},
		{name: "merge keys with a wrong value", yaml: bombs["merge-bad"], want: "config.yaml:9:15: feeds[5]: aliases expand to more than 100000 values"},
		{name: "merge keys in a mapping field", yaml: bombs["merge-map"], want: "config.yaml:16:30: x5: aliases expand to more than 100000 values"},
		{name: "billion laughs", yaml: bombs["laughs"], want: "config.yaml:15:45: x4[7]: aliases expand to more than 100000 values"},
		{name: "anchors under an unknown key", yaml: bombs["unknown"], want: "config.yaml:16:47: custom.a4[7]: aliases expand to more than 100000 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("alias bomb accepted")
			}
			if lines := errorLines(err); len(lines) != 1 || !strings.HasPrefix(lines[0], tt.want) {
				t.Errorf("errors = %q, want one starting %q", lines, tt.want)
			}
		})
	}
	t.Run("inside the bound", func(t *testing.T) {
		_, err := Parse("config.yaml", []byte(nearBound()))
		if err != nil && strings.Contains(err.Error(), "aliases expand") {
			t.Errorf("refused for its aliases: %v", err)
		}
	})
	t.Run("defaults merged into many sources", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(header + "x-defaults: &d {type: files, path: ./articles}\nsources:\n")
		for i := range 2000 {
			fmt.Fprintf(&b, "  - {<<: *d, name: s%d}\n", i)
		}
		b.WriteString("feeds:\n  - {name: all, title: All, sources: [s0]}\n")
		_, err := Parse("config.yaml", []byte(b.String()))
		if err != nil && strings.Contains(err.Error(), "aliases expand") {
			t.Errorf("refused for its aliases: %v", err)
		}
	})
}
