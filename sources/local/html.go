package local

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// ReadHTML parses a saved HTML page as an article.
//
// Title: og:title, else <title> (or the article's <h1> when <title> is
// that plus a separator and a site name), else the first <h1>. Body: the first
// <article>, else <main>, else <body>, without script, style, nav, header,
// footer, aside, form, noscript, iframe and similar elements, without
// share/related/comment/author-bio widgets (recognized by class or id), and
// without a leading heading that repeats the title. Trailers cut the first
// block element (or line of text between blocks) that matches, when body
// text precedes it, and everything after it.
//
// Metadata: Published from article:published_time, <meta name="date">, the
// first <time datetime> in the body, or itemprop=datePublished; Updated from
// article:modified_time or itemprop=dateModified; Author from <meta
// name="author"> or article:author; URL from <link rel="canonical"> or
// og:url when absolute; Summary from <meta name="description"> or og:description; Tags
// from article:tag or <meta name="keywords">. Dates that do not parse are
// ignored: a scraped page's metadata is advisory, unlike front matter.
//
// The encoding comes from a byte order mark or a <meta charset> /
// http-equiv declaration; a page declaring none, UTF-8 or Windows-1252 (or
// its alias ISO-8859-1) is read as UTF-8 when valid, else Windows-1252.
func ReadHTML(data []byte, trailers *Trailers) (feed.Article, error) {
	return ReadHTMLContext(context.Background(), data, trailers)
}

// ReadHTMLContext is ReadHTML stopping when ctx is done (returning its
// error) or after maxParseTime (returning an ErrBound). The parser reads
// its input as it goes, through the guard, so the parse itself stops.
// (golang.org/x/net/html refuses more than 512 open elements itself.)
func ReadHTMLContext(ctx context.Context, data []byte, trailers *Trailers) (feed.Article, error) {
	g := newGuard(ctx)
	defer g.release()
	a, err := readHTML(data, trailers, g)
	if gerr := g.err(); gerr != nil {
		return feed.Article{}, fmt.Errorf("html: %w", gerr)
	}
	if err != nil && strings.Contains(err.Error(), "open stack of elements exceeds") {
		// x/net/html's nesting limit (its error is not exported): a
		// bound like ours, skipped with a warning.
		return feed.Article{}, fmt.Errorf("%w: %w", err, ErrBound)
	}
	return a, err
}

func readHTML(data []byte, trailers *Trailers, g *guard) (feed.Article, error) {
	doc, err := goquery.NewDocumentFromReader(guardReader{bytes.NewReader(sources.ToUTF8(data, "", sources.KindHTML)), g})
	if err != nil {
		return feed.Article{}, err
	}
	p := htmlPage{doc: doc, root: articleRoot(doc)}
	var a feed.Article
	a.Title = p.title()
	p.metadata(&a)
	if p.root.Length() > 0 {
		n := p.root.Get(0)
		stripUnwanted(n)
		dropTitleHeading(n, a.Title)
		cutTrailerHTML(n, trailers)
		a.Content = renderChildren(n)
	}
	if a.Title == "" {
		return feed.Article{}, ErrUntitled
	}
	return a, nil
}

// htmlPage is a parsed page and the element holding its article.
type htmlPage struct {
	doc  *goquery.Document
	root *goquery.Selection
}

// articleRoot is the first <article>, else <main>, else <body>.
func articleRoot(doc *goquery.Document) *goquery.Selection {
	for _, sel := range []string{"article", "main", "body"} {
		if root := doc.Find(sel).First(); root.Length() > 0 {
			return root
		}
	}
	return doc.Find("body").First()
}

// meta returns the content of the first <meta> whose property, name or
// itemprop is one of keys, trying keys in order.
func (p htmlPage) meta(keys ...string) string {
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

// title is og:title, else <title> (or the article's <h1> when <title> is
// that plus a separator and a site name), else the first <h1>.
func (p htmlPage) title() string {
	if t := p.meta("og:title"); t != "" {
		return feed.CollapseSpace(t)
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

// metadata sets a's dates, author, URL, summary and tags from the page's
// meta tags and microdata.
func (p htmlPage) metadata(a *feed.Article) {
	doc := p.doc
	a.Published = htmlDate(
		p.meta("article:published_time", "date", "dc.date", "dcterms.created"),
		p.root.Find("time[datetime]").First().AttrOr("datetime", ""),
		doc.Find("[itemprop=datePublished]").First().AttrOr("datetime", ""),
		p.meta("datePublished"),
	)
	a.Updated = htmlDate(
		p.meta("article:modified_time", "og:updated_time", "dcterms.modified"),
		doc.Find("[itemprop=dateModified]").First().AttrOr("datetime", ""),
		p.meta("dateModified"),
	)
	if author := p.meta("author", "article:author"); author != "" {
		if strings.HasPrefix(author, "http://") || strings.HasPrefix(author, "https://") {
			a.Author.URL = author
		} else {
			a.Author.Name = author
		}
	}
	// Only an absolute canonical URL is kept: a relative one is relative
	// to the site the page was saved from, which is unknown here.
	for _, u := range []string{doc.Find("link[rel=canonical]").First().AttrOr("href", ""), p.meta("og:url")} {
		if u = strings.TrimSpace(u); feed.ParseHTTPURL(u) != nil {
			a.URL = u
			break
		}
	}
	a.Summary = p.meta("description", "og:description")
	doc.Find("meta").Each(func(_ int, s *goquery.Selection) {
		if strings.EqualFold(s.AttrOr("property", ""), "article:tag") {
			a.Tags = addTags(a.Tags, s.AttrOr("content", ""))
		}
	})
	if len(a.Tags) == 0 {
		a.Tags = addTags(nil, strings.ReplaceAll(p.meta("keywords"), ",", "\n"))
	}
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

// htmlDate returns the first of values that parses as a date, or the
// zero time.
func htmlDate(values ...string) time.Time {
	for _, v := range values {
		if t, err := parseDate(v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// addTags appends the non-empty, trimmed lines of s to tags.
func addTags(tags []string, s string) []string {
	for _, t := range strings.Split(s, "\n") {
		if t = feed.CollapseSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// droppedElems are elements that are never article content.
var droppedElems = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Nav: true, atom.Header: true,
	atom.Footer: true, atom.Aside: true, atom.Form: true, atom.Noscript: true,
	atom.Iframe: true, atom.Template: true, atom.Button: true, atom.Link: true,
	atom.Meta: true, atom.Dialog: true, atom.Input: true, atom.Select: true,
	atom.Textarea: true,
}

// widgetRE matches one class name or id of a share, related-posts,
// comments or author-bio widget: the keyword alone or as a -/_ separated
// part ("sharedaddy", "jp-relatedposts", "comments-area", "entry-related").
var widgetRE = regexp.MustCompile(`(?i)^(?:.*[-_])?(?:share|shares|sharing|sharedaddy|social|social-links|jp-relatedposts|related|relatedposts|related-posts|comment|comments|commentlist|respond|author-bio|authorbio|about-author|author-box|newsletter|addtoany|post-navigation)(?:[-_].*)?$`)

// stripUnwanted removes from the tree under root the elements that are never
// content, widgets, comments and hidden elements. A widget-looking element
// that wraps the article itself (an <article>, <main>, itemprop=articleBody)
// is kept: class names such as "has-comments" on a wrapper are common.
func stripUnwanted(root *html.Node) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if unwanted(c) {
				n.RemoveChild(c)
			} else {
				walk(c)
			}
			c = next
		}
	}
	walk(root)
}

func unwanted(n *html.Node) bool {
	switch n.Type {
	case html.CommentNode:
		return true
	case html.ElementNode:
	default:
		return false
	}
	if droppedElems[n.DataAtom] {
		return true
	}
	widget := false
	for _, at := range n.Attr {
		switch at.Key {
		case "hidden":
			return true
		case "id":
			widget = widget || widgetRE.MatchString(strings.TrimSpace(at.Val))
		case "class":
			for _, c := range strings.Fields(at.Val) {
				widget = widget || widgetRE.MatchString(c)
			}
		}
	}
	return widget && !wrapsArticle(n)
}

// wrapsArticle reports whether n contains the article proper.
func wrapsArticle(n *html.Node) bool {
	var found bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && !found; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.DataAtom == atom.Article || c.DataAtom == atom.Main {
				found = true
				return
			}
			for _, at := range c.Attr {
				if at.Key == "itemprop" && strings.EqualFold(at.Val, "articleBody") {
					found = true
					return
				}
			}
			walk(c)
		}
	}
	walk(n)
	return found
}

// dropTitleHeading removes the heading that opens the content under
// root (at any depth, before any text) when its text equals title, so the
// title is not repeated in the content.
func dropTitleHeading(root *html.Node, title string) {
	var h *html.Node
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				if strings.TrimSpace(c.Data) != "" {
					return true
				}
			case html.ElementNode:
				if isHeading(c.DataAtom) {
					h = c
					return true
				}
				if mediaElems[c.DataAtom] || walk(c) {
					return true
				}
			}
		}
		return false
	}
	walk(root)
	if h != nil && strings.EqualFold(feed.CollapseSpace(nodeText(h, -1)), feed.CollapseSpace(title)) {
		h.Parent.RemoveChild(h)
	}
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// blockElems are the elements whose whole text is matched as a trailer.
var blockElems = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true,
	atom.Aside: true, atom.Header: true, atom.Footer: true, atom.Nav: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Dl: true,
	atom.Dt: true, atom.Dd: true, atom.Blockquote: true, atom.Figure: true,
	atom.Figcaption: true, atom.Table: true, atom.Tr: true, atom.Td: true,
	atom.Th: true, atom.Details: true, atom.Summary: true, atom.Center: true,
	atom.Address: true, atom.Pre: true, atom.Hgroup: true, atom.Form: true,
}

// mediaElems are elements that count as body content without any text.
var mediaElems = map[atom.Atom]bool{
	atom.Img: true, atom.Picture: true, atom.Video: true, atom.Audio: true,
	atom.Svg: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Math: true,
}

// cutTrailerHTML removes, from the tree under root, the first trailer
// block that has body content before it, and everything after it in
// document order; ancestors left empty by the cut go too.
func cutTrailerHTML(root *html.Node, t *Trailers) {
	if t == nil {
		return
	}
	seen := false
	var cut *html.Node
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				if strings.TrimSpace(c.Data) == "" {
					continue
				}
				if seen && lineLike(root, c) && t.Match(c.Data) {
					cut = c
					return true
				}
				seen = true
			case html.ElementNode:
				if seen && blockElems[c.DataAtom] && t.Match(nodeText(c, 256)) {
					cut = c
					return true
				}
				if mediaElems[c.DataAtom] {
					seen = true
					continue
				}
				if walk(c) {
					return true
				}
			}
		}
		return false
	}
	if !walk(root) {
		return
	}
	for m := cut; m != root; m = m.Parent {
		for m.NextSibling != nil {
			m.Parent.RemoveChild(m.NextSibling)
		}
	}
	p := cut.Parent
	p.RemoveChild(cut)
	for p != root && isBlank(p) {
		q := p.Parent
		q.RemoveChild(p)
		p = q
	}
}

// lineLike reports whether text node n stands on a line of its own:
// directly in root or a block, between blocks, <br>s or nothing.
func lineLike(root, n *html.Node) bool {
	if n.Parent != root && !blockElems[n.Parent.DataAtom] {
		return false
	}
	edge := func(s *html.Node) bool {
		return s == nil || s.Type == html.ElementNode && (s.DataAtom == atom.Br || blockElems[s.DataAtom])
	}
	return edge(n.PrevSibling) && edge(n.NextSibling)
}

// isBlank reports whether n has neither text nor media.
func isBlank(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			return false
		case c.Type == html.ElementNode && (mediaElems[c.DataAtom] || !isBlank(c)):
			return false
		}
	}
	return true
}

// nodeText returns the text under n. With limit >= 0 it stops once
// more than limit bytes are collected or limit nodes visited: trailer
// lines are short, a longer text cannot match anyway, and the bound keeps
// the trailer search linear on deeply nested markup. It reads a parsed
// tree, which the trailer cut and the title heading work on;
// feed.HTMLText is the rule for markup held in a string.
func nodeText(n *html.Node, limit int) string {
	var b strings.Builder
	visited := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if visited++; limit >= 0 && (b.Len() > limit || visited > limit) {
				return
			}
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode:
				// Blocks and <br> separate words even without spaces.
				if c.DataAtom == atom.Br || blockElems[c.DataAtom] {
					b.WriteByte(' ')
				}
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// renderChildren renders the children of n as an HTML fragment.
func renderChildren(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		// Render only fails on a failing writer or an invalid tree;
		// strings.Builder does not fail and the tree came from the parser.
		_ = html.Render(&b, c)
	}
	return strings.TrimSpace(b.String())
}
