package upstream

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// maxWrapDecls caps how many namespace declarations of the wrapping
// document are carried onto the feed element.
const maxWrapDecls = 64

// xmlUnwrapFeed returns the feed element (Atom feed, RSS rss, RDF
// rdf:RDF) of an (X)HTML document that wraps one, as a document of its
// own; ok is false for any other document. Some blogs serve their Atom
// feed inside <html><body>, which gofeed cannot detect.
//
// Only a real element counts: the document is read with the HTML
// tokenizer, so a feed quoted in text (&lt;rss&gt;), a comment or a
// script is not one. The tokenizer reads each byte once, and a document
// whose first element is not <html> (every feed) costs only its prolog.
// Namespace prefixes declared before the feed element (xmlns:rdf on
// <html>) are declared again on it, so it reads the same on its own.
func xmlUnwrapFeed(body []byte) (feedDoc []byte, ok bool) {
	z := html.NewTokenizer(bytes.NewReader(body))
	var offset int
	first := true
	var decls []html.Attribute
	for {
		tt := z.Next()
		raw := len(z.Raw())
		switch tt {
		case html.ErrorToken:
			return nil, false
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if first {
				if tok.Data != "html" {
					return nil, false
				}
				first = false
			}
			if wrappedFeed(tok.Data) && tt == html.StartTagToken {
				return unwrapAt(body, offset, raw, tok, decls), true
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Key, "xmlns:") && len(decls) < maxWrapDecls {
					decls = append(decls, a)
				}
			}
		}
		offset += raw
	}
}

// wrappedFeed reports whether an HTML tag name (lower-cased) is a feed's
// root element.
func wrappedFeed(name string) bool {
	return name == "feed" || name == "rss" || name == "rdf:rdf"
}

// unwrapAt cuts the feed element starting at body[start:start+n] out of
// body: up to its last end tag, or to the end when it has none (a
// truncated feed, which recovery then handles), with the declarations of
// decls that its start tag lacks.
func unwrapAt(body []byte, start, n int, tok html.Token, decls []html.Attribute) []byte {
	tag := body[start : start+n]
	name := tag[1:] // as written: end tags must match it, case and all
	if i := bytes.IndexAny(name, " \t\r\n/>"); i >= 0 {
		name = name[:i]
	}
	rest := body[start+n:]
	if i := bytes.LastIndex(rest, append([]byte("</"), name...)); i >= 0 {
		if j := bytes.IndexByte(rest[i:], '>'); j >= 0 {
			rest = rest[:i+j+1]
		}
	}
	declared := map[string]bool{}
	for _, a := range tok.Attr {
		declared[a.Key] = true
	}
	var out bytes.Buffer
	out.Grow(n + len(rest) + 64)
	end := len(tag) - 1 // before ">"
	out.Write(tag[:end])
	for _, a := range decls {
		if declared[a.Key] {
			continue
		}
		declared[a.Key] = true
		out.WriteString(" " + a.Key + `="` + html.EscapeString(a.Val) + `"`)
	}
	out.Write(tag[end:])
	out.Write(rest)
	return out.Bytes()
}
