package feed

import (
	"net/url"
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

// urlAttrs are the attributes, after sanitizing, whose values are URLs to
// make absolute.
var urlAttrs = map[string]bool{"href": true, "src": true, "cite": true, "poster": true}

// sanitizeHTML returns s sanitized by policy with every link and image
// source resolved against base (when base is nil, relative links stay
// relative).
func sanitizeHTML(s string, base *url.URL) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	clean := policy.Sanitize(s)
	if base == nil || !strings.ContainsAny(clean, "=") {
		return strings.TrimSpace(clean)
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
		changed := false
		for i, at := range tok.Attr {
			switch {
			case urlAttrs[at.Key]:
				if abs := resolveRef(base, at.Val); abs != at.Val {
					tok.Attr[i].Val, changed = abs, true
				}
			case at.Key == "srcset":
				if abs := resolveSrcset(base, at.Val); abs != at.Val {
					tok.Attr[i].Val, changed = abs, true
				}
			}
		}
		if changed {
			b.WriteString(tok.String())
		} else {
			b.Write(z.Raw())
		}
	}
	return strings.TrimSpace(b.String())
}

func resolveRef(base *url.URL, ref string) string {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil || u.IsAbs() && u.Host != "" || u.Scheme == "mailto" {
		return ref
	}
	return base.ResolveReference(u).String()
}

// resolveSrcset resolves each candidate URL of an srcset attribute
// ("a.png 1x, b.png 2x").
func resolveSrcset(base *url.URL, v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		f := strings.Fields(p)
		if len(f) == 0 {
			continue
		}
		f[0] = resolveRef(base, f[0])
		parts[i] = strings.Join(f, " ")
	}
	return strings.Join(parts, ", ")
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
