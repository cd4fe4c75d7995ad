package upstream

import (
	"bytes"
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/heraldfeed/herald/sources"
)

// maxItemContent caps the text of any one element of an upstream feed
// (an item's content, its description), in bytes, before the feed is
// parsed. Parsing, sanitizing and rewriting HTML take memory and time in
// proportion to it: one item of 9 MB used to take 200 MiB of heap, and the
// cap bounds the work done per item. README: Memory.
const maxItemContent = 512 << 10

// xmlCapText cuts every run of character data (text or one CDATA section)
// of an XML document longer than limit down to limit bytes, at a
// character boundary and never inside an entity reference. Markup is
// copied as it is. A document with no such run is returned unchanged,
// without copying.
func xmlCapText(body []byte, limit int) (out []byte, cut int) {
	if len(body) <= limit {
		return body, 0
	}
	var b bytes.Buffer
	copied := 0
	keep := func(from, to int, text []byte) {
		if len(text) <= limit {
			return
		}
		if b.Len() == 0 && copied == 0 {
			b.Grow(len(body) / 2)
		}
		kept := capBytes(text, limit)
		b.Write(body[copied:from])
		b.Write(kept)
		copied = to
		cut++
	}
	for i := 0; i < len(body); {
		lt := bytes.IndexByte(body[i:], '<')
		if lt < 0 {
			lt = len(body) - i
		}
		keep(i, i+lt, body[i:i+lt])
		i += lt
		if i >= len(body) {
			break
		}
		rest := body[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest, []byte("]]>"))
			if end < 0 {
				end = len(rest)
			}
			keep(i+9, i+end, rest[9:end])
			i += min(end+3, len(rest))
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest, []byte("-->"))
			if end < 0 {
				i = len(body)
			} else {
				i += end + 3
			}
		default:
			i += xmlTagEnd(rest)
		}
	}
	if cut == 0 {
		return body, 0
	}
	b.Write(body[copied:])
	return b.Bytes(), cut
}

// xmlTagEnd returns the length of the tag (or declaration) tag starts
// with, quotes respected.
func xmlTagEnd(tag []byte) int {
	var quote byte
	for j := 1; j < len(tag); j++ {
		switch c := tag[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j + 1
		case c == '<':
			return j // not a tag after all: a stray "<"
		}
	}
	return len(tag)
}

// capBytes returns text cut to at most limit bytes, at a character
// boundary, and before an entity reference the cut would split.
func capBytes(text []byte, limit int) []byte {
	text = text[:limit]
	for len(text) > 0 && !utf8.Valid(text[max(0, len(text)-utf8.UTFMax):]) {
		text = text[:len(text)-1]
	}
	if amp := bytes.LastIndexByte(text, '&'); amp >= 0 && bytes.IndexByte(text[amp:], ';') < 0 {
		text = text[:amp]
	}
	return text
}

// parseBudget bounds the upstream bodies being parsed at once, in bytes,
// across every feed source of the process: parsing takes about 10 times a
// body's size at its peak, so eight sources of 9 MB collected together
// used to reach a gigabyte. A source waits for its share; a body larger
// than the whole budget is parsed alone. It is process-wide because
// memory is.
var parseBudget = sources.NewByteBudget(32 << 20)

// maxXMLDepth caps how deeply an upstream document nests its elements.
// Feeds nest a few dozen deep at most; gofeed reads extension elements
// recursively, and 9 MB of nested <x:a> took it 13 s and 512 MiB of
// goroutine stack. README: Bounds on what Herald reads.
const maxXMLDepth = 1000

// errTooDeep is the error of a document nested deeper than maxXMLDepth.
var errTooDeep = fmt.Errorf("elements nested deeper than %d", maxXMLDepth)

// xmlCheckDepth fails when body opens more than limit elements before
// closing them: start tags count up, end tags down, whatever their names,
// so a stray end tag or an element left open shifts the count as it
// would a reader's stack. Comments, CDATA sections, declarations and
// processing instructions do not count. It is a byte scan, linear in
// len(body), checking ctx every 64 KiB.
func xmlCheckDepth(ctx context.Context, body []byte, limit int) error {
	depth := 0
	for i, next := 0, 0; i < len(body); {
		if i >= next {
			if err := ctx.Err(); err != nil {
				return err
			}
			next = i + 64<<10
		}
		lt := bytes.IndexByte(body[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		rest := body[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest, []byte("]]>"))
			if end < 0 {
				return nil
			}
			i += end + 3
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest, []byte("-->"))
			if end < 0 {
				return nil
			}
			i += end + 3
		default:
			n := xmlTagEnd(rest)
			tag := rest[:n]
			i += n
			switch {
			case len(tag) < 2 || tag[1] == '!' || tag[1] == '?' || bytes.HasSuffix(tag, []byte("/>")):
			case tag[1] == '/':
				depth = max(depth-1, 0)
			default:
				if depth++; depth > limit {
					return errTooDeep
				}
			}
		}
	}
	return nil
}
