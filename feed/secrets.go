package feed

import (
	"strings"

	"golang.org/x/net/html"
)

// MinSecretLength is the shortest secret that is looked for as text.
// Shorter ones are recognised only as whole URL parts (user-info, a query
// parameter's value): looking for them in text would find them inside
// ordinary words, and hiding them there would garble the text and show
// which letters they hold.
const MinSecretLength = 8

// Secrets finds the operator's secrets (credentials and tokens of
// configured URLs) in what is about to be published; sources.Redactor
// implements it. Relative links are resolved against URLs that carry
// none, so this is the second line: it catches an upstream that writes
// a subscriber's token into its own absolute links or text.
type Secrets interface {
	// PublicURL returns raw without user-info and without the query
	// parameters that carry a secret, or "" when a secret remains in it
	// (in its host, path or fragment), so that it cannot be published.
	PublicURL(raw string) string
	// PublicText returns s with every secret in it replaced by "***".
	PublicText(s string) string
	// MayHold is a cheap test that s may hold a secret PublicURL or
	// PublicText would remove; false means it holds none.
	MayHold(s string) bool
}

// Redacted is what replaces a secret in published text.
const Redacted = "***"

// scrubSecrets removes sec's secrets from every field of a normalized
// article that is published or stored. What replaces them: a link,
// author URL or enclosure carrying one is left out; in content, such a
// URL attribute is dropped (an <a> keeps its text, an <img> loses its
// source); in text the secret becomes "***"; an ID holding one is
// replaced by a name-based UUID of it, stable across collections.
func scrubSecrets(a Article, sec Secrets) Article {
	a.URL = sec.PublicURL(a.URL)
	a.Author.URL = sec.PublicURL(a.Author.URL)
	a.Author.Name = sec.PublicText(a.Author.Name)
	a.Author.Email = sec.PublicText(a.Author.Email)
	a.Title = sec.PublicText(a.Title)
	a.Summary = sec.PublicText(a.Summary)
	if a.Enclosures != nil {
		kept := a.Enclosures[:0:0]
		for _, e := range a.Enclosures {
			if e.URL = sec.PublicURL(e.URL); e.URL != "" {
				kept = append(kept, e)
			}
		}
		a.Enclosures = kept
	}
	for i, t := range a.Tags {
		a.Tags[i] = sec.PublicText(t)
	}
	a.ID = PublicID(a.ID, sec)
	a.Content = scrubHTML(a.Content, sec)
	return a
}

// PublicID returns id, or when it holds a secret a name-based UUID of
// it: stable across collections, so the article keeps its identity, and
// revealing nothing. Sources apply it before they key their state by IDs.
func PublicID(id string, sec Secrets) string {
	if id == "" || sec == nil || !sec.MayHold(id) {
		return id
	}
	if sec.PublicText(id) != id || isHTTPURL(id) && sec.PublicURL(id) != id {
		return "urn:uuid:" + NameUUID(id)
	}
	return id
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// scrubHTML applies sec to sanitized HTML: URL attributes through
// PublicURL, other attributes and text through PublicText.
func scrubHTML(s string, sec Secrets) string {
	if s == "" || !sec.MayHold(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			raw := string(z.Raw())
			text := html.UnescapeString(raw)
			if clean := sec.PublicText(text); clean != text {
				raw = html.EscapeString(clean)
			}
			b.WriteString(raw)
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := string(z.Raw())
			tok := z.Token()
			attrs, changed := tok.Attr[:0], false
			for _, at := range tok.Attr {
				val := at.Val
				switch {
				case urlAttrs[at.Key]:
					val = sec.PublicURL(val)
				case at.Key == "srcset":
					val = scrubSrcset(val, sec)
				default:
					val = sec.PublicText(val)
				}
				changed = changed || val != at.Val
				at.Val = val
				if val != "" || !urlAttrs[at.Key] && at.Key != "srcset" {
					attrs = append(attrs, at)
				}
			}
			if changed {
				tok.Attr = attrs
				raw = tok.String()
			}
			b.WriteString(raw)
		default:
			b.Write(z.Raw())
		}
	}
}

// scrubSrcset applies PublicURL to each candidate of an srcset, dropping
// the candidates it refuses.
func scrubSrcset(v string, sec Secrets) string {
	var kept []string
	for p := range strings.SplitSeq(v, ",") {
		f := strings.Fields(p)
		if len(f) == 0 {
			continue
		}
		if f[0] = sec.PublicURL(f[0]); f[0] != "" {
			kept = append(kept, strings.Join(f, " "))
		}
	}
	return strings.Join(kept, ", ")
}
