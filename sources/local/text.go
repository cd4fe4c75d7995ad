package local

import (
	"errors"
	"strings"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
)

// ErrUntitled is returned by the file readers for a file with nothing to
// publish: empty, white space only, or without any text to take a title
// from. Collect skips such files with a warning instead of reporting them.
var ErrUntitled = errors.New("no title")

// readText parses a plain-text article, typically text copied or scraped
// from a web page. The first non-empty line is the title; the rest is split
// into paragraphs at blank lines, each becoming a <p> element whose text is
// HTML-escaped and whose single line breaks become <br>, so line structure
// (addresses, verse) survives. Trailers cut the first matching line, when
// some body text precedes it, and everything after it.
//
// data may be UTF-8 with or without a byte order mark, UTF-16 with one, or
// else Windows-1252; line ends may be LF, CRLF or CR. The returned article
// has Title and Content only; Collect adds identity and dates.
func readText(data []byte, trailers *extract.Trailers) (feed.Article, error) {
	lines := strings.Split(decodeLines(data), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) {
		return feed.Article{}, ErrUntitled
	}
	a := feed.Article{Title: feed.CollapseSpace(lines[i])}
	body := lines[i+1:]
	seen := false
	for j, l := range body {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if seen && trailers.Match(l) {
			body = body[:j]
			break
		}
		seen = true
	}
	a.Content = feed.TextHTML(body)
	return a, nil
}

// decodeLines decodes a text file to UTF-8 with LF line ends: a UTF-8 or
// UTF-16 byte order mark is honoured and dropped, valid UTF-8 is taken as
// is, and anything else is Windows-1252, the encoding of most legacy text
// that is not UTF-8. The result is always valid UTF-8.
func decodeLines(data []byte) string {
	return newlines(string(sources.ToUTF8(data, "", sources.KindText)))
}

// newlines turns CRLF and lone CR into LF.
func newlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
