package upstream

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// xmlTokenizer returns a lenient tokenizer over body, which has been
// converted to UTF-8 already: HTML entities are known, and a prolog's
// encoding is not acted on again.
func xmlTokenizer(body []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	return d
}

// xmlRecover repairs a feed that is not well-formed, the way a careful
// reader does: an element left open inside an item is closed where its
// parent closes, a stray end tag is dropped, and a document that breaks
// off (truncated, or a syntax error) is cut after its last complete item
// or entry, with the elements then open closed. ok is false when there is
// nothing to repair or no complete item to keep.
func xmlRecover(body []byte) (fixed []byte, ok bool) {
	r := &recoverer{body: body, goodLen: -1}
	d := xmlTokenizer(body)
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) && len(r.stack) == 0 && !r.repaired {
				return nil, false // well-formed as far as structure goes
			}
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			r.startElement(t, start)
		case xml.EndElement:
			r.endElement(t, start, d.InputOffset())
		}
	}
	if r.goodLen < 0 {
		return nil, false
	}
	r.out.Truncate(r.goodLen)
	for k := len(r.goodOpen) - 1; k >= 0; k-- {
		r.out.WriteString("</" + r.goodOpen[k] + ">")
	}
	return r.out.Bytes(), true
}

// recoverer is xmlRecover's state: the repaired document so far and the
// elements open in it.
type recoverer struct {
	body     []byte
	out      bytes.Buffer
	stack    []string // names of the open elements
	copied   int64    // body[:copied] is in out
	goodLen  int      // out.Len() after the last complete item, or -1
	goodOpen []string // stack after the last complete item
	repaired bool
}

// closeAbove copies the body up to at and closes the elements open above
// stack[j].
func (r *recoverer) closeAbove(j int, at int64) {
	r.out.Write(r.body[r.copied:at])
	r.copied = at
	for k := len(r.stack) - 1; k > j; k-- {
		r.out.WriteString("</" + r.stack[k] + ">")
	}
	r.stack = r.stack[:j+1]
	r.repaired = true
}

func (r *recoverer) startElement(t xml.StartElement, start int64) {
	if t.Name.Local == "item" || t.Name.Local == "entry" {
		// An item is a child of its feed: whatever is still open above
		// the feed's element (a <title> never closed) closes here, or
		// every item would be read as part of it.
		j := len(r.stack) - 1
		for j >= 0 && !feedContainers[strings.ToLower(localName(r.stack[j]))] {
			j--
		}
		if j >= 0 && j < len(r.stack)-1 {
			r.closeAbove(j, start)
		}
	}
	r.stack = append(r.stack, xmlName(t.Name))
}

func (r *recoverer) endElement(t xml.EndElement, start, end int64) {
	name := xmlName(t.Name)
	j := len(r.stack) - 1
	for j >= 0 && r.stack[j] != name {
		j--
	}
	if j < 0 {
		// A stray end tag: dropped.
		r.out.Write(r.body[r.copied:start])
		r.copied = end
		r.repaired = true
		return
	}
	if j < len(r.stack)-1 {
		// Elements left open inside this one close with it.
		r.closeAbove(j, start)
	}
	r.stack = r.stack[:j]
	if t.Name.Local == "item" || t.Name.Local == "entry" {
		r.out.Write(r.body[r.copied:end])
		r.copied = end
		r.goodLen = r.out.Len()
		r.goodOpen = append(r.goodOpen[:0], r.stack...)
	}
}

// feedContainers are the elements items and entries belong in.
var feedContainers = map[string]bool{"channel": true, "feed": true, "rdf": true, "rss": true}

func localName(name string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func xmlName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// base64TextRE finds Atom 0.3 text constructs marked mode="base64".
var base64TextRE = regexp.MustCompile(`<([A-Za-z_][\w.:-]*)(\s[^<>]*?)\smode\s*=\s*["']base64["']([^<>]*)>([^<]*)</([A-Za-z_][\w.:-]*)\s*>`)

// xmlRepairBase64 decodes the text of Atom 0.3 elements written in
// mode="base64". gofeed decodes them only when their type is not text, and
// Atom 0.3's default type is text/plain, so their titles stayed encoded.
// Text that does not decode to UTF-8 is left as it was.
func xmlRepairBase64(body []byte) []byte {
	if !bytes.Contains(body, []byte("base64")) {
		return body
	}
	return base64TextRE.ReplaceAllFunc(body, func(m []byte) []byte {
		sub := base64TextRE.FindSubmatch(m)
		if string(sub[1]) != string(sub[5]) {
			return m
		}
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, string(sub[4]))
		dec, err := base64.StdEncoding.DecodeString(clean)
		if err != nil || !utf8.Valid(dec) {
			return m
		}
		var b bytes.Buffer
		b.WriteString("<" + string(sub[1]) + string(sub[2]) + string(sub[3]) + ">")
		xml.EscapeText(&b, dec)
		b.WriteString("</" + string(sub[5]) + ">")
		return b.Bytes()
	})
}

// xmlBaseAttrRE finds an xml:base attribute in a start tag.
var xmlBaseAttrRE = regexp.MustCompile(`(\sxml:base\s*=\s*)(["'])([^"']*)(["'])`)

// xmlAbsoluteBases rewrites every xml:base to an absolute URL ending in
// "/": gofeed appends "/" to a base that does not end in one before
// resolving against it (so "2006-11-05" under ".../blog/" made "entry1"
// ".../blog/2006-11-05/entry1" where RFC 3986 says ".../blog/entry1").
// Each base is resolved as the RFCs say, against its parent's and finally
// against the URL the feed came from, and then cut to its directory, which
// resolves path references the same way.
func xmlAbsoluteBases(body []byte, feedURL string) []byte {
	if !bytes.Contains(body, []byte("xml:base")) {
		return body
	}
	root, err := url.Parse(feedURL)
	if err != nil {
		return body
	}
	var out bytes.Buffer
	var copied int64
	bases := []*url.URL{root}
	d := xmlTokenizer(body)
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			base := bases[len(bases)-1]
			for _, a := range t.Attr {
				if a.Name.Space != "xml" || a.Name.Local != "base" {
					continue
				}
				ref, err := url.Parse(strings.TrimSpace(a.Value))
				if err != nil {
					break
				}
				base = base.ResolveReference(ref)
				dir := *base
				dir.RawQuery, dir.Fragment, dir.RawFragment = "", "", ""
				if i := strings.LastIndexByte(dir.Path, '/'); i >= 0 {
					dir.Path, dir.RawPath = dir.Path[:i+1], ""
				} else {
					dir.Path = "/"
				}
				end := d.InputOffset()
				tag := body[start:end]
				loc := xmlBaseAttrRE.FindSubmatchIndex(tag)
				if loc == nil {
					break
				}
				var esc bytes.Buffer
				xml.EscapeText(&esc, []byte(dir.String()))
				out.Write(body[copied : start+int64(loc[6])])
				out.Write(esc.Bytes())
				copied = start + int64(loc[7])
			}
			bases = append(bases, base)
		case xml.EndElement:
			if len(bases) > 1 {
				bases = bases[:len(bases)-1]
			}
		}
	}
	if copied == 0 {
		return body
	}
	out.Write(body[copied:])
	return out.Bytes()
}
