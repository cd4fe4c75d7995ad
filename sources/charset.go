package sources

import (
	"bytes"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Kind says how a document may declare its own charset.
type Kind int

const (
	KindText Kind = iota // no declaration: plain text, Markdown
	KindXML              // XML prolog: <?xml ... encoding="...">
	KindHTML             // <meta charset> or http-equiv Content-Type
	KindJSON             // always UTF-8 by spec, but upstreams get it wrong
)

var (
	xmlPrologRE   = regexp.MustCompile(`^\s*<\?xml[^>]*?\?>`)
	xmlEncodingRE = regexp.MustCompile(`(encoding\s*=\s*)(["'])([^"']*)(["'])`)
	utf8BOM       = []byte{0xEF, 0xBB, 0xBF}
)

// ToUTF8 converts body to UTF-8, honouring in order a byte-order mark,
// the HTTP Content-Type charset (empty for a file), and the document's own
// declaration (XML prolog or HTML meta). It is the one charset rule of
// every source, web or file. Declarations are often wrong, so the result is
// checked: a body declared UTF-8 that is not valid UTF-8, or one whose
// bytes are invalid in the declared charset, is detected instead (valid
// UTF-8 stays UTF-8, anything else is read as Windows-1252, the superset of
// ISO-8859-1 that browsers use, see windows1252). Producing mojibake or U+FFFD for text a
// browser would show correctly is the failure this guards against.
//
// For XML the prolog's encoding is rewritten to UTF-8 so the XML parser
// does not decode the already-converted text a second time.
func ToUTF8(body []byte, contentType string, kind Kind) []byte {
	out := decode(body, contentType, kind)
	if kind == KindXML {
		out = xmlRewriteProlog(out)
	}
	return out
}

func decode(body []byte, contentType string, kind Kind) []byte {
	if out, ok := wideDecode(body); ok {
		return out
	}
	switch {
	case bytes.HasPrefix(body, utf8BOM):
		return detect(body[len(utf8BOM):])
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}), bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		// UTF-16 with a BOM; the BOM picks the byte order.
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		if out, err := dec.Bytes(body); err == nil {
			return bytes.ToValidUTF8(out, []byte("\uFFFD"))
		}
	}

	label := contentTypeCharset(contentType)
	if label == "" {
		switch kind {
		case KindXML:
			label = xmlDeclaredEncoding(body)
		case KindHTML:
			label = htmlDeclaredCharset(body)
		}
	}
	if label == "" {
		return detect(body)
	}
	enc, err := htmlindex.Get(label)
	if err != nil || enc == unicode.UTF8 || enc == charmap.Windows1252 {
		return detect(body)
	}
	if isSingleByteLatin(enc) && hasValidMultibyteUTF8(body) {
		// Declared Latin-1 but the bytes form valid multi-byte UTF-8:
		// real Latin-1 text almost never does (it would need pairs like
		// "Ã©"), while servers mislabelling UTF-8 as ISO-8859-1 is common.
		return body
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil || (bytes.ContainsRune(out, utf8.RuneError) && !bytes.ContainsRune(body, utf8.RuneError)) {
		// The bytes are not valid in the declared charset.
		return detect(body)
	}
	return out
}

// detect returns body unchanged when it is valid UTF-8 and otherwise reads
// it as Windows-1252: text that is not UTF-8 (even when declared so) is,
// in practice, almost always Windows-1252 or ISO-8859-1.
func detect(body []byte) []byte {
	if utf8.Valid(body) {
		return body
	}
	return windows1252(body)
}

// windows1252 decodes b as Windows-1252. The five bytes that code page
// leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become the C1 controls
// of the same value, as the WHATWG decoder browsers use does, instead of
// the U+FFFD that x/text's charmap gives them.
func windows1252(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/4)
	for _, c := range b {
		if c < utf8.RuneSelf {
			out = append(out, c)
			continue
		}
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

func isSingleByteLatin(enc encoding.Encoding) bool {
	return enc == charmap.Windows1252 || enc == charmap.ISO8859_1 || enc == charmap.ISO8859_15
}

// hasValidMultibyteUTF8 reports whether b is valid UTF-8 and contains at
// least one multi-byte sequence.
func hasValidMultibyteUTF8(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func contentTypeCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

// xmlDeclaredEncoding returns the encoding named in an XML prolog, if any.
func xmlDeclaredEncoding(body []byte) string {
	prolog := xmlPrologRE.Find(body[:min(len(body), 1024)])
	if prolog == nil {
		return ""
	}
	m := xmlEncodingRE.FindSubmatch(prolog)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(string(m[3]))
}

// xmlRewriteProlog makes a converted document's prolog say UTF-8.
func xmlRewriteProlog(body []byte) []byte {
	loc := xmlPrologRE.FindIndex(body[:min(len(body), 1024)])
	if loc == nil {
		return body
	}
	prolog := body[loc[0]:loc[1]]
	if !xmlEncodingRE.Match(prolog) {
		return body
	}
	fixed := xmlEncodingRE.ReplaceAll(prolog, []byte(`${1}${2}UTF-8${4}`))
	out := make([]byte, 0, len(body)-len(prolog)+len(fixed))
	out = append(out, body[:loc[0]]...)
	out = append(out, fixed...)
	return append(out, body[loc[1]:]...)
}

// htmlDeclaredCharset returns the charset an HTML document declares with
// <meta charset> or <meta http-equiv="Content-Type">, using the HTML
// standard's prescan of the first 1024 bytes. When there is no
// declaration, DetermineEncoding guesses UTF-8 if the head is valid UTF-8
// and Windows-1252 otherwise, which is the same rule detect applies, and
// decode re-checks the whole body either way.
func htmlDeclaredCharset(body []byte) string {
	_, name, _ := charset.DetermineEncoding(body[:min(len(body), 1024)], "text/html")
	return name
}

// wideDecode decodes a UTF-32 body (with or without a byte-order mark)
// and a UTF-16 body without one, recognised, as XML 1.0 Appendix F
// describes, by where the zero bytes fall around the first ASCII
// character ("<", "{" or white space). UTF-16 with a mark is left to
// webDecode. ok is false when body is none of these or does not decode.
func wideDecode(body []byte) ([]byte, bool) {
	if len(body) < 4 {
		return nil, false
	}
	b0, b1, b2, b3 := body[0], body[1], body[2], body[3]
	ascii := func(c byte) bool { return c > 0 && c < 0x80 }
	var enc encoding.Encoding
	switch {
	case b0 == 0 && b1 == 0 && b2 == 0xFE && b3 == 0xFF:
		enc = utf32.UTF32(utf32.BigEndian, utf32.ExpectBOM)
	case b0 == 0xFF && b1 == 0xFE && b2 == 0 && b3 == 0:
		enc = utf32.UTF32(utf32.LittleEndian, utf32.ExpectBOM)
	case b0 == 0 && b1 == 0 && b2 == 0 && ascii(b3):
		enc = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case ascii(b0) && b1 == 0 && b2 == 0 && b3 == 0:
		enc = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	case b0 == 0 && ascii(b1) && b2 == 0 && ascii(b3):
		enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case ascii(b0) && b1 == 0 && ascii(b2) && b3 == 0:
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	default:
		return nil, false
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, false
	}
	return out, true
}
