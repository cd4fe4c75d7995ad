package feed

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// policy is the allow-list every article's HTML passes through: bluemonday's
// user-generated-content policy (no script, no event handlers, no style,
// only http, https and mailto URLs). A bluemonday policy is safe for
// concurrent use once built.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false) // keep authors' links as they wrote them
	p.AllowElements("figure", "figcaption", "picture", "mark", "small", "time")
	p.AllowAttrs("datetime").OnElements("time")
	p.AllowAttrs("srcset", "sizes").OnElements("img", "source")
	p.AllowAttrs("src", "type").OnElements("source")
	return p
}()

// urlAttrs are the attributes whose values are one URL: after sanitizing,
// each is checked again (urlOK) and made absolute. bluemonday checks the
// schemes of a few of them only (a href, img src, cite): not <source
// src>, not srcset, not poster. Attributes the policy does not allow are
// listed too, so allowing one later cannot open a hole.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "cite": true, "poster": true, "longdesc": true,
	"data": true, "action": true, "formaction": true, "background": true,
	"codebase": true, "classid": true, "archive": true, "usemap": true,
	"icon": true, "manifest": true, "dynsrc": true, "lowsrc": true,
	"xlink:href": true, "profile": true, "itemtype": true,
}

// linkAttrs are the URL attributes a reader follows rather than loads, for
// which mailto: is legitimate.
var linkAttrs = map[string]bool{"href": true, "cite": true}

// sanitizeHTML returns s sanitized by policy, with every URL attribute
// (srcset's candidates included) holding a relative, http, https or, for
// links, mailto URL, resolved against base (when base is nil, relative
// links stay relative).
func sanitizeHTML(s string, base *url.URL) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	clean := policy.Sanitize(s)
	if !strings.Contains(clean, "=") {
		return strings.TrimSpace(clean) // no attributes at all
	}
	var b strings.Builder
	b.Grow(len(clean) + len(clean)/8)
	z := html.NewTokenizer(strings.NewReader(clean))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.Write(z.Raw())
			continue
		}
		tok := z.Token()
		attrs := tok.Attr[:0]
		changed := false
		for _, at := range tok.Attr {
			val, keep := at.Val, true
			switch {
			case urlAttrs[at.Key]:
				val, keep = urlOK(at.Val, linkAttrs[at.Key])
				if keep && base != nil {
					val = resolveRef(base, val)
				}
			case at.Key == "srcset":
				val = cleanSrcset(base, at.Val)
				keep = val != ""
			}
			if !keep || val != at.Val {
				changed = true
			}
			if keep {
				at.Val = val
				attrs = append(attrs, at)
			}
		}
		if changed {
			tok.Attr = attrs
			b.WriteString(tok.String())
		} else {
			b.Write(z.Raw())
		}
	}
	return strings.TrimSpace(b.String())
}

// urlOK returns the URL in an attribute value v as a browser reads it
// (HTML entities are already decoded by the tokenizer; leading and
// trailing spaces and control characters, and tabs and newlines anywhere,
// dropped) and whether it is relative or of an allowed scheme: http,
// https, and mailto where link is true. Anything else (javascript:,
// vbscript:, data:, file:, any scheme a browser or reader may act on) is
// refused; so is a value that spells javascript:, vbscript: or data:
// once percent-decoded, in case a reader decodes before it looks.
func urlOK(v string, link bool) (string, bool) {
	u := strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(u, "\t\n\r") {
		u = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, u)
	}
	switch scheme(u) {
	case "":
	case "http", "https":
	case "mailto":
		if !link {
			return "", false
		}
	default:
		return "", false
	}
	if strings.Contains(u, "%") {
		if d, err := url.PathUnescape(u); err == nil {
			d = strings.TrimFunc(d, func(r rune) bool { return r <= ' ' })
			d = strings.Map(func(r rune) rune {
				if r < ' ' {
					return -1
				}
				return r
			}, d)
			switch scheme(d) {
			case "javascript", "vbscript", "data":
				return "", false
			}
		}
	}
	return u, true
}

// scheme returns u's scheme, lower-cased, as the URL standard reads it (a
// letter, then letters, digits, "+", "-" or ".", then ":"), or "" for a
// relative URL.
func scheme(u string) string {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(u[:i])
		default:
			return ""
		}
	}
	return ""
}

// resolveRef resolves a link of sanitized HTML against base, leaving an
// absolute link with a host, a mailto: link and one that does not parse
// byte for byte as written.
func resolveRef(base *url.URL, ref string) string {
	t := strings.TrimSpace(ref)
	if u := Resolve(nil, t); u == nil || u.IsAbs() && u.Host != "" || u.Scheme == "mailto" {
		return ref
	}
	return Resolve(base, t).String()
}

// srcsetDescriptor is one valid srcset descriptor: a width ("480w"), a
// density ("2x", "1.5x") or the obsolete height ("300h").
var srcsetDescriptor = regexp.MustCompile(`^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?[wxh]$`)

// cleanSrcset returns an srcset value ("a.png 1x, b.png 2x") with only
// its candidates whose URL urlOK accepts and whose descriptors are valid,
// resolved against base (when not nil); "" when none is left. Candidates
// are split as the HTML standard does, on white space then commas, so a
// URL holding a comma ("data:image/png;base64,…") is one URL, as a
// browser sees it.
func cleanSrcset(base *url.URL, v string) string {
	var out []string
	for i := 0; i < len(v); {
		for i < len(v) && (isHTMLSpace(v[i]) || v[i] == ',') {
			i++
		}
		start := i
		for i < len(v) && !isHTMLSpace(v[i]) {
			i++
		}
		if start == i {
			break
		}
		ref, desc := v[start:i], ""
		if strings.HasSuffix(ref, ",") {
			ref = strings.TrimRight(ref, ",")
		} else {
			start, depth := i, 0
			for ; i < len(v); i++ {
				if c := v[i]; c == '(' {
					depth++
				} else if c == ')' && depth > 0 {
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
			}
			desc = v[start:i]
		}
		ds := strings.Fields(desc)
		valid := len(ds) <= 2
		for _, d := range ds {
			valid = valid && srcsetDescriptor.MatchString(d)
		}
		u, ok := urlOK(ref, false)
		if !ok || !valid || u == "" {
			continue // a browser skips an invalid candidate too
		}
		if base != nil {
			u = resolveRef(base, u)
		}
		out = append(out, strings.Join(append([]string{u}, ds...), " "))
	}
	return strings.Join(out, ", ")
}

// isHTMLSpace reports ASCII white space as HTML defines it.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// blockish elements separate words in text extracted from HTML.
var blockish = map[atom.Atom]bool{
	atom.P: true, atom.Br: true, atom.Div: true, atom.Li: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Blockquote: true,
	atom.Pre: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Figcaption: true,
	atom.Section: true, atom.Article: true, atom.Hr: true, atom.Dd: true, atom.Dt: true,
}

// HTMLText returns the readable text of an HTML fragment: entities
// decoded, white space collapsed, block elements separating words, the
// contents of script and style left out. Plain text without markup passes
// through with only its white space collapsed. Callers that need at most
// n characters (a summary, a title) pass n: it stops reading once it has
// more than n, which on long articles is most of the work saved; n < 0
// means no limit. It is Herald's one HTML-to-text function for markup in
// strings.
func HTMLText(s string, n int) string {
	if !strings.ContainsAny(s, "<&") {
		return CollapseSpace(s)
	}
	var c textCollector
	if n < 0 {
		c.b.Grow(len(s))
	}
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside script/style, whose text is not text
	for n < 0 || c.runes <= n {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return c.b.String()
		case html.TextToken:
			if skip == 0 {
				c.write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			}
			if blockish[a] {
				c.pending = c.b.Len() > 0
			}
		}
	}
	return c.b.String()
}

// textCollector collapses white space as text is written to it, counting
// the characters kept.
type textCollector struct {
	b       strings.Builder
	pending bool // a space is owed before the next visible character
	runes   int
}

func (c *textCollector) write(p []byte) {
	for len(p) > 0 {
		r, size := rune(p[0]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(p)
		}
		if unicode.IsSpace(r) {
			c.pending = c.b.Len() > 0
		} else {
			if c.pending {
				c.b.WriteByte(' ')
				c.runes++
				c.pending = false
			}
			c.b.Write(p[:size])
			c.runes++
		}
		p = p[size:]
	}
}
