package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
)

// Bounds on what a config file may be, checked before the YAML library
// sees it (checkShape): the library's memory grows with nesting (10,000
// "[" took 187 MB; 100,000 killed the process) and its time with the
// square of the keys in one mapping (100,000 keys took 45 s). A real
// configuration is a few levels deep, with a few dozen keys per mapping.
const (
	// MaxFileSize is the largest config file, in bytes: room for
	// thousands of sources (5,000 feed sources take about 470 KB).
	MaxFileSize = 1 << 20
	// MaxValues bounds the values (lines, and items of flow lists and
	// mappings) of a file: the library takes about 4 µs and 1 KB per
	// value, so 100,000 take under half a second.
	MaxValues = 100_000
	// MaxDepth is the deepest nesting of mappings and lists (block and
	// flow together); Herald's schema needs 4.
	MaxDepth = 32
	// MaxKeys is the most keys one block mapping may have: the library's
	// time grows with the square of it.
	MaxKeys = 100
	// maxAliasValues bounds the values all aliases of a file stand for
	// together (alias.go), so an alias bomb ("billion laughs", merge
	// keys of merge keys) is refused in one linear pass, before the
	// checker or the decoder expands it (500,000 expanded values took
	// them about a second and 140 MB). A real config's aliases,
	// "<<: *defaults" in each of thousands of sources, add far fewer.
	maxAliasValues = MaxValues
	// maxErrors is how many problems a message lists: a screenful, then a
	// count of the rest.
	maxErrors = 20
)

// Limits on values, so what `check` accepts does not fail later.
const (
	MaxNameLen = 100 // a feed's or source's name; feeds become file names
	MaxRetries = 10
	MaxPerHost = 100
	MaxLimit   = 10000 // items in one feed
)

// prepare returns the file's bytes as UTF-8 YAML, or an error naming the
// problem: too large, UTF-16 without a byte order mark, too deeply nested,
// too many keys in one mapping. A UTF-16 file with a byte order mark is
// decoded (YAML allows it; goccy does not read it).
func (c *Config) prepare(data []byte) ([]byte, error) {
	if len(data) > MaxFileSize {
		return nil, c.errorAt(nil, "", "file is %d bytes, over the %d MiB limit", len(data), MaxFileSize>>20)
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		dec := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return nil, c.errorAt(nil, "", "file starts with a UTF-16 byte order mark but is not UTF-16: %v", err)
		}
		data = out
	} else if bytes.IndexByte(data, 0) >= 0 {
		return nil, c.errorAt(nil, "", "file contains NUL bytes: save it as UTF-8 text")
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:validPrefix(data)], []byte("\n"))
		e := c.errorAt(nil, "", "not valid UTF-8: save the file as UTF-8")
		e.Line, e.Column = line, 1
		return nil, e
	}
	if err := c.checkShape(data); err != nil {
		return nil, err
	}
	return data, nil
}

func validPrefix(b []byte) int {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		n += size
	}
	return n
}

// blockKey matches a line (after indentation and "- ") that starts with a
// mapping key.
var blockKey = regexp.MustCompile(`^(?:"[^"]*"|'[^']*'|[^\s\[\]{}#'"&*!|>%@` + "`" + `][^#]*?):(?:\s|$)`)

// blockScalar matches a line ending in a block scalar indicator (| or >,
// with optional chomping and indentation), whose following, more
// indented lines are text.
var blockScalar = regexp.MustCompile(`(?:^|[:-]\s+)[|>][+\-0-9]*\s*(?:#.*)?$`)

// checkShape bounds nesting depth and keys per block mapping in one linear
// pass over the text, approximately (it is no YAML parser, and needs not
// be: it only has to stop what would overwhelm one, and real configs are
// far inside the bounds).
func (c *Config) checkShape(data []byte) error {
	sc := shapeScanner{c: c, scalarCol: -1}
	for n, raw := range bytes.Split(data, []byte("\n")) {
		if err := sc.line(n+1, raw); err != nil {
			return err
		}
	}
	return nil
}

// shapeScanner is checkShape's state between lines.
type shapeScanner struct {
	c         *Config
	stack     []shapeFrame // open block levels
	flow      int          // depth of [ and { open
	values    int          // lines and flow items
	scalarCol int          // indentation of the key owning a block scalar, or -1
}

type shapeFrame struct{ col, keys int }

func (sc *shapeScanner) fail(line, col int, format string, args ...any) error {
	e := sc.c.errorAt(nil, "", format, args...)
	e.Line, e.Column = line, col+1
	return e
}

// line scans one line of the file.
func (sc *shapeScanner) line(line int, raw []byte) error {
	indent := 0
	for indent < len(raw) && raw[indent] == ' ' {
		indent++
	}
	rest := bytes.TrimRight(raw[indent:], " \t\r")
	if sc.scalarCol >= 0 {
		if len(rest) == 0 || indent > sc.scalarCol {
			return nil
		}
		sc.scalarCol = -1
	}
	if len(rest) == 0 || rest[0] == '#' {
		return nil
	}
	if sc.values++; sc.values > MaxValues {
		return sc.fail(line, indent, "more than %d values", MaxValues)
	}
	if sc.flow == 0 {
		var done bool
		var err error
		if rest, done, err = sc.block(line, indent, rest); done || err != nil {
			return err
		}
	}
	return sc.flowItems(line, indent, rest)
}

// block tracks the block structure a line opens: its indentation, its
// "- " entries and its key. It reports done for a line nothing else is to
// be read from (a document marker, a block scalar's header).
func (sc *shapeScanner) block(line, indent int, rest []byte) (_ []byte, done bool, err error) {
	if len(sc.stack) > 0 && (bytes.Equal(rest, []byte("---")) || bytes.Equal(rest, []byte("..."))) {
		sc.stack = sc.stack[:0]
		return rest, true, nil
	}
	for len(sc.stack) > 0 && sc.stack[len(sc.stack)-1].col > indent {
		sc.stack = sc.stack[:len(sc.stack)-1]
	}
	if len(sc.stack) == 0 || sc.stack[len(sc.stack)-1].col < indent {
		sc.stack = append(sc.stack, shapeFrame{col: indent})
	}
	// "- - key: v": each dash opens a level.
	col := indent
	for len(rest) >= 2 && rest[0] == '-' && (rest[1] == ' ' || rest[1] == '\t') {
		i := 1
		for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
			i++
		}
		col += i
		rest = rest[i:]
		sc.stack = append(sc.stack, shapeFrame{col: col})
	}
	if len(sc.stack) > MaxDepth {
		return rest, true, sc.fail(line, col, "nested more than %d levels deep", MaxDepth)
	}
	if blockKey.Match(rest) {
		top := &sc.stack[len(sc.stack)-1]
		top.keys++
		if top.keys > MaxKeys {
			return rest, true, sc.fail(line, col, "more than %d keys in one mapping", MaxKeys)
		}
	}
	if blockScalar.Match(rest) {
		sc.scalarCol = col
		return rest, true, nil
	}
	return rest, false, nil
}

// flowItems counts the brackets and items of flow collections, outside
// quotes and comments.
func (sc *shapeScanner) flowItems(line, indent int, rest []byte) error {
	var quote byte
	for i := 0; i < len(rest); i++ {
		b := rest[i]
		switch {
		case quote != 0:
			if b == '\\' && quote == '"' {
				i++
			} else if b == quote {
				quote = 0
			}
		case b == '"' || b == '\'':
			if i == 0 || bytes.IndexByte([]byte(" \t[{,:"), rest[i-1]) >= 0 {
				quote = b
			}
		case b == '#' && (i == 0 || rest[i-1] == ' ' || rest[i-1] == '\t'):
			i = len(rest)
		case b == '[' || b == '{':
			sc.flow++
			if len(sc.stack)+sc.flow > MaxDepth {
				return sc.fail(line, indent+i, "nested more than %d levels deep", MaxDepth)
			}
		case b == ']' || b == '}':
			if sc.flow > 0 {
				sc.flow--
			}
		case b == ',' && sc.flow > 0:
			if sc.values++; sc.values > MaxValues {
				return sc.fail(line, indent+i, "more than %d values", MaxValues)
			}
		}
	}
	return nil
}

// joinErrors joins errs, listing at most maxErrors of them and then an
// *Error counting the rest.
func (c *Config) joinErrors(errs []error) error {
	if len(errs) <= maxErrors {
		return errors.Join(errs...)
	}
	more := c.errorAt(nil, "", "… and %d more problems", len(errs)-maxErrors)
	return errors.Join(append(errs[:maxErrors:maxErrors], more)...)
}

// limits checks that numbers and names stay in sane bounds.
func (v *validator) limits() {
	f := v.c.Fetch
	if f.Retries > MaxRetries {
		v.fail("fetch.retries", "at most %d, got %d", MaxRetries, f.Retries)
	}
	if f.PerHost > MaxPerHost {
		v.fail("fetch.per_host", "at most %d, got %d", MaxPerHost, f.PerHost)
	}
	for i, s := range v.c.Sources {
		if len(s.Name) > MaxNameLen {
			v.fail(fmt.Sprintf("sources[%d].name", i), "at most %d characters, got %d", MaxNameLen, len(s.Name))
		}
	}
	for i, fd := range v.c.Feeds {
		if len(fd.Name) > MaxNameLen {
			v.fail(fmt.Sprintf("feeds[%d].name", i), "at most %d characters, got %d", MaxNameLen, len(fd.Name))
		}
		if fd.Limit > MaxLimit {
			v.fail(fmt.Sprintf("feeds[%d].limit", i), "at most %d, got %d", MaxLimit, fd.Limit)
		}
	}
}
