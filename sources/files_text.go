package sources

import (
	"errors"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/heraldfeed/herald/feed"
	"golang.org/x/text/encoding/charmap"
	textunicode "golang.org/x/text/encoding/unicode"
)

// ErrUntitled is returned by the file readers for a file with nothing to
// publish: empty, white space only, or without any text to take a title
// from. Collect skips such files with a warning instead of reporting them.
var ErrUntitled = errors.New("no title")

// ReadText parses a plain-text article, typically text copied or scraped
// from a web page. The first non-empty line is the title; the rest is split
// into paragraphs at blank lines, each becoming a <p> element whose text is
// HTML-escaped and whose single line breaks become <br>, so line structure
// (addresses, verse) survives. Trailers cut the first matching line, when
// some body text precedes it, and everything after it.
//
// data may be UTF-8 with or without a byte order mark, UTF-16 with one, or
// else Windows-1252; line ends may be LF, CRLF or CR. The returned article
// has Title and Content only; Collect adds identity and dates.
func ReadText(data []byte, trailers *Trailers) (feed.Article, error) {
	lines := strings.Split(filesText(data), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) {
		return feed.Article{}, ErrUntitled
	}
	a := feed.Article{Title: filesCollapse(lines[i])}
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
	a.Content = filesParagraphs(body)
	return a, nil
}

// filesParagraphs renders lines as <p> elements, one per run of non-blank
// lines, joined by <br>.
func filesParagraphs(lines []string) string {
	var b strings.Builder
	open := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case l == "" && open:
			b.WriteString("</p>\n")
			open = false
		case l == "":
		case open:
			b.WriteString("<br>\n")
			b.WriteString(html.EscapeString(l))
		default:
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(l))
			open = true
		}
	}
	if open {
		b.WriteString("</p>\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// filesText decodes a text file to UTF-8 with LF line ends: a UTF-8 or
// UTF-16 byte order mark is honoured and dropped, valid UTF-8 is taken as
// is, and anything else is Windows-1252, the encoding of most legacy text
// that is not UTF-8. The result is always valid UTF-8.
func filesText(data []byte) string {
	return filesNewlines(filesDecode(data))
}

func filesDecode(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF:
		data = data[3:]
	case len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF):
		// UTF-16 with a BOM; the BOM override strips it and picks the order.
		dec := textunicode.UTF16(textunicode.LittleEndian, textunicode.ExpectBOM).NewDecoder()
		if out, err := dec.Bytes(data); err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	if utf8.Valid(data) {
		return string(data)
	}
	return filesWindows1252(data)
}

// filesWindows1252 decodes data as Windows-1252. The five bytes that code
// page leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become the C1
// controls of the same value, as WHATWG's decoder does, instead of U+FFFD.
func filesWindows1252(data []byte) string {
	var b strings.Builder
	b.Grow(len(data) + len(data)/4)
	for _, c := range data {
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			continue
		}
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// filesNewlines turns CRLF and lone CR into LF.
func filesNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
