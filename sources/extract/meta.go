package extract

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/heraldfeed/herald/feed"
)

// page is a parsed page, read for its metadata.
type page struct {
	doc  *goquery.Document
	root *goquery.Selection // the first <article>, else <main>, else <body>
	ld   ldArticle
}

func newPage(doc *html.Node) page {
	d := goquery.NewDocumentFromNode(doc)
	p := page{doc: d, root: d.Find("body").First()}
	for _, sel := range []string{"article", "main"} {
		if r := d.Find(sel).First(); r.Length() > 0 {
			p.root = r
			break
		}
	}
	p.ld = jsonLD(d)
	return p
}

// ldArticle is the part of a schema.org Article (NewsArticle, BlogPosting…)
// in JSON-LD that Herald reads.
type ldArticle struct {
	Type          any               `json:"@type"`
	Headline      string            `json:"headline"`
	Name          string            `json:"name"`
	DatePublished string            `json:"datePublished"`
	DateModified  string            `json:"dateModified"`
	Description   string            `json:"description"`
	URL           string            `json:"url"`
	Author        any               `json:"author"`
	Image         any               `json:"image"`
	Graph         []json.RawMessage `json:"@graph"`
}

// jsonLD returns the first article object in the page's JSON-LD scripts
// (at the top, in an array or in an @graph), or the zero value. Scripts
// that do not decode are ignored: metadata is advisory.
func jsonLD(doc *goquery.Document) ldArticle {
	var found ldArticle
	var try func(raw []byte, depth int) bool
	try = func(raw []byte, depth int) bool {
		if depth > 3 {
			return false
		}
		raw = []byte(strings.TrimSpace(string(raw)))
		if len(raw) > 0 && raw[0] == '[' {
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) != nil {
				return false
			}
			for _, r := range list {
				if try(r, depth+1) {
					return true
				}
			}
			return false
		}
		var a ldArticle
		if json.Unmarshal(raw, &a) != nil {
			return false
		}
		if isArticleType(a.Type) {
			found = a
			return true
		}
		for _, r := range a.Graph {
			if try(r, depth+1) {
				return true
			}
		}
		return false
	}
	doc.Find(`script[type="application/ld+json"]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		return !try([]byte(s.Text()), 0)
	})
	return found
}

var articleTypeRE = regexp.MustCompile(`(?i)^(Article|NewsArticle|BlogPosting|Report|ReportageNewsArticle|AnalysisNewsArticle|OpinionNewsArticle|ReviewNewsArticle|TechArticle|ScholarlyArticle|LiveBlogPosting|Posting|SocialMediaPosting|WebPage)$`)

func isArticleType(t any) bool {
	switch t := t.(type) {
	case string:
		return articleTypeRE.MatchString(t)
	case []any:
		for _, x := range t {
			if isArticleType(x) {
				return true
			}
		}
	}
	return false
}

// ldName is the name of a JSON-LD author or image: a string, an object
// with name (or url), or a list of those (the first).
func ldName(v any, key string) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case map[string]any:
		if s, ok := v[key].(string); ok {
			return strings.TrimSpace(s)
		}
	case []any:
		for _, x := range v {
			if s := ldName(x, key); s != "" {
				return s
			}
		}
	}
	return ""
}

// meta returns the content of the first <meta> whose property, name or
// itemprop is one of keys, trying keys in order.
func (p page) meta(keys ...string) string {
	for _, k := range keys {
		var v string
		p.doc.Find("meta").EachWithBreak(func(_ int, s *goquery.Selection) bool {
			name := s.AttrOr("property", s.AttrOr("name", s.AttrOr("itemprop", "")))
			if strings.EqualFold(name, k) {
				v = strings.TrimSpace(s.AttrOr("content", ""))
			}
			return v == ""
		})
		if v != "" {
			return v
		}
	}
	return ""
}

// title is og:title, else JSON-LD headline, else <title> (or the
// article's <h1> when <title> is that plus a separator and a site name),
// else the first <h1>.
func (p page) title() string {
	if t := p.meta("og:title"); t != "" {
		return feed.CollapseSpace(t)
	}
	if t := feed.CollapseSpace(p.ld.Headline); t != "" {
		return t
	}
	// The article's own heading, not a site name in a page header: an h1
	// in the <article> or <main>, or in the <body> outside header and nav.
	h1 := feed.CollapseSpace(p.root.Find("h1").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return p.root.Is("article, main") || s.ParentsFiltered("header, nav").Length() == 0
	}).First().Text())
	title := feed.CollapseSpace(p.doc.Find("head").Find("title").First().Text())
	if title == "" {
		title = feed.CollapseSpace(p.doc.Find("title").First().Text())
	}
	// "Seed Pods | Garden Blog" with <h1>Seed Pods</h1>: the heading is
	// the title without the site name.
	if rest, ok := cutPrefixFold(title, h1); ok && h1 != "" && titleSeparator.MatchString(rest) {
		return h1
	}
	if title == "" {
		return feed.CollapseSpace(p.doc.Find("h1").First().Text())
	}
	return title
}

// titleSeparator matches what follows the article title in a
// <title> that appends the site name: " | Site", " - Site", " – Site".
var titleSeparator = regexp.MustCompile(`^\s*[|\-–—:·•»/]\s*\S`)

// cutPrefixFold is strings.CutPrefix ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// metadata sets r's dates, author, URL, summary, image and tags from the
// page's JSON-LD, Open Graph and other meta tags, <time> and microdata.
// parse is the caller's date rule; a value it refuses is skipped, never
// guessed at.
func (p page) metadata(r *Result, parse func(string) (time.Time, error)) {
	doc := p.doc
	date := func(values ...string) time.Time {
		if parse == nil {
			return time.Time{}
		}
		for _, v := range values {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if t, err := parse(v); err == nil {
				return t
			}
		}
		return time.Time{}
	}
	r.Published = date(
		p.ld.DatePublished,
		p.meta("article:published_time", "date", "dc.date", "dcterms.created"),
		p.root.Find("time[datetime]").First().AttrOr("datetime", ""),
		doc.Find("[itemprop=datePublished]").First().AttrOr("datetime", ""),
		p.meta("datePublished"),
	)
	r.Modified = date(
		p.ld.DateModified,
		p.meta("article:modified_time", "og:updated_time", "dcterms.modified"),
		doc.Find("[itemprop=dateModified]").First().AttrOr("datetime", ""),
		p.meta("dateModified"),
	)
	author := p.meta("author", "article:author")
	if author == "" {
		author = ldName(p.ld.Author, "name")
	}
	if author != "" {
		if strings.HasPrefix(author, "http://") || strings.HasPrefix(author, "https://") {
			r.AuthorURL = author
		} else {
			r.Author = feed.CollapseSpace(author)
		}
	}
	// Only an absolute canonical URL is kept: a relative one is relative
	// to the site the page was saved from, which may be unknown.
	for _, u := range []string{doc.Find("link[rel=canonical]").First().AttrOr("href", ""), p.meta("og:url"), p.ld.URL} {
		if u = strings.TrimSpace(u); feed.ParseHTTPURL(u) != nil {
			r.URL = u
			break
		}
	}
	r.Summary = p.meta("description", "og:description")
	if r.Summary == "" {
		r.Summary = feed.CollapseSpace(p.ld.Description)
	}
	for _, u := range []string{p.meta("og:image", "twitter:image"), ldName(p.ld.Image, "url")} {
		if u = strings.TrimSpace(u); feed.ParseHTTPURL(u) != nil {
			r.Image = u
			break
		}
	}
	doc.Find("meta").Each(func(_ int, s *goquery.Selection) {
		if strings.EqualFold(s.AttrOr("property", ""), "article:tag") {
			r.Tags = AppendTags(r.Tags, s.AttrOr("content", ""))
		}
	})
	if len(r.Tags) == 0 {
		r.Tags = AppendTags(nil, strings.ReplaceAll(p.meta("keywords"), ",", "\n"))
	}
}

// AppendTags appends the non-empty lines of s to tags, white space
// collapsed: how front matter and meta keywords become tags.
func AppendTags(tags []string, s string) []string {
	for _, t := range strings.Split(s, "\n") {
		if t = feed.CollapseSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}
