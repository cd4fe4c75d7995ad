package upstream

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/heraldfeed/herald/feed"
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
// nothing to repair, no complete item to keep, elements nest deeper than
// maxXMLDepth in the repaired document, or ctx is done (checked every few
// thousand tokens).
//
// It runs in time linear in len(body): every step is paid for by a token
// read or by the push it undoes (see recoverer.work). A broken feed is
// attacker-shaped input, and the first version scanned the whole stack
// for every stray end tag: 350 KB of them took 10 s.
func xmlRecover(ctx context.Context, body []byte) (fixed []byte, ok bool) {
	fixed, ok, _ = recoverXML(ctx, body, maxXMLDepth)
	return fixed, ok
}

// recoverXML is xmlRecover, also returning the steps it took (tokens
// read, elements pushed and popped, names compared, closing tags written)
// for the fuzz test that holds it to linear time. A depth limit of 0 is
// none.
func recoverXML(ctx context.Context, body []byte, limit int) (fixed []byte, ok bool, work int) {
	r := &recoverer{body: body, goodLen: -1, open: map[string]int{}}
	d := xmlTokenizer(body)
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, false, r.work
		}
		start := d.InputOffset()
		tok, err := d.RawToken()
		r.work++
		if err != nil {
			if errors.Is(err, io.EOF) && len(r.stack) == 0 && !r.repaired {
				return nil, false, r.work // well-formed as far as structure goes
			}
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			r.startElement(t, start)
			if limit > 0 && len(r.stack) > limit {
				return nil, false, r.work
			}
		case xml.EndElement:
			r.endElement(t, start, d.InputOffset())
		}
	}
	if r.goodLen < 0 {
		return nil, false, r.work
	}
	r.out.Truncate(r.goodLen)
	for k := len(r.goodOpen) - 1; k >= 0; k-- {
		r.writeEnd(r.goodOpen[k])
	}
	return r.out.Bytes(), true, r.work
}

// recoverer is xmlRecover's state: the repaired document so far and the
// elements open in it.
type recoverer struct {
	body       []byte
	out        bytes.Buffer
	stack      []string       // names of the open elements
	open       map[string]int // how many of each name stack holds: a stray end tag is found without a scan
	containers []int          // indexes in stack of the feed containers, innermost last
	copied     int64          // body[:copied] is in out
	goodLen    int            // out.Len() after the last complete item, or -1
	goodOpen   []string       // stack after the last complete item
	low        int            // the shortest stack since goodOpen was taken: goodOpen[:low] is still stack[:low]
	repaired   bool
	work       int
}

func (r *recoverer) writeEnd(name string) {
	r.out.WriteString("</")
	r.out.WriteString(name)
	r.out.WriteByte('>')
	r.work++
}

func (r *recoverer) push(name string) {
	if feedContainers[strings.ToLower(localName(name))] {
		r.containers = append(r.containers, len(r.stack))
	}
	r.stack = append(r.stack, name)
	r.open[name]++
	r.work++
}

// truncate pops the stack down to n elements.
func (r *recoverer) truncate(n int) {
	for k := len(r.stack) - 1; k >= n; k-- {
		r.open[r.stack[k]]--
		r.work++
	}
	for len(r.containers) > 0 && r.containers[len(r.containers)-1] >= n {
		r.containers = r.containers[:len(r.containers)-1]
	}
	r.stack = r.stack[:n]
	r.low = min(r.low, n)
}

// closeAbove copies the body up to at and closes the elements open above
// stack[j].
func (r *recoverer) closeAbove(j int, at int64) {
	r.out.Write(r.body[r.copied:at])
	r.copied = at
	for k := len(r.stack) - 1; k > j; k-- {
		r.writeEnd(r.stack[k])
	}
	r.truncate(j + 1)
	r.repaired = true
}

func (r *recoverer) startElement(t xml.StartElement, start int64) {
	if t.Name.Local == "item" || t.Name.Local == "entry" {
		// An item is a child of its feed: whatever is still open above
		// the feed's element (a <title> never closed) closes here, or
		// every item would be read as part of it.
		if c := len(r.containers); c > 0 {
			if j := r.containers[c-1]; j < len(r.stack)-1 {
				r.closeAbove(j, start)
			}
		}
	}
	r.push(xmlName(t.Name))
}

func (r *recoverer) endElement(t xml.EndElement, start, end int64) {
	name := xmlName(t.Name)
	if r.open[name] == 0 {
		// A stray end tag: dropped.
		r.out.Write(r.body[r.copied:start])
		r.copied = end
		r.repaired = true
		return
	}
	// The scan stops at an open element of this name; what it passes
	// over is closed below, so each element is passed over once.
	j := len(r.stack) - 1
	for r.stack[j] != name {
		j--
		r.work++
	}
	if j < len(r.stack)-1 {
		// Elements left open inside this one close with it.
		r.closeAbove(j, start)
	}
	r.truncate(j)
	if t.Name.Local == "item" || t.Name.Local == "entry" {
		r.out.Write(r.body[r.copied:end])
		r.copied = end
		r.goodLen = r.out.Len()
		// Only what changed since the last item is copied: the stack
		// went down to low and back up, by as many pushes.
		keep := min(r.low, len(r.goodOpen))
		r.goodOpen = append(r.goodOpen[:keep], r.stack[keep:]...)
		r.work += len(r.stack) - keep
		r.low = len(r.stack)
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

// maxBaseLen caps an xml:base, in bytes; a longer one is ignored.
const maxBaseLen = 2048

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
			if len(bases) > maxXMLDepth {
				// Nested this deep the document is refused anyway, and
				// each level's base can be longer than its parent's.
				return body
			}
			base := bases[len(bases)-1]
			for _, a := range t.Attr {
				if a.Name.Space != "xml" || a.Name.Local != "base" {
					continue
				}
				if len(a.Value) > maxBaseLen {
					break
				}
				next := feed.Resolve(base, strings.TrimSpace(a.Value))
				if next == nil {
					break
				}
				if len(next.Path) <= maxBaseLen {
					base = next
				} else {
					break // bases that grow with every level cost time squared
				}
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
				// The first xml:base of a tag is the one rewritten (the
				// pattern finds the first), so a repeated one is ignored:
				// a second rewrite copied from behind copied and panicked.
				break
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
