package extract

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/heraldfeed/herald/feed"
)

// CleanArticles cleans the content and summary of each article (Clean).
func CleanArticles(articles []feed.Article, trailers *Trailers) {
	for i := range articles {
		a := &articles[i]
		a.Content = Clean(a.Content, trailers)
		a.Summary = Clean(a.Summary, trailers)
	}
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
// comments, author-bio, newsletter, ad, cookie-banner or paywall widget: the keyword alone or as a -/_ separated
// part ("sharedaddy", "jp-relatedposts", "comments-area", "entry-related").
var widgetRE = regexp.MustCompile(`(?i)^(?:.*[-_])?(?:share|shares|sharing|sharedaddy|social|social-links|jp-relatedposts|related|relatedposts|related-posts|comment|comments|commentlist|respond|author-bio|authorbio|about-author|author-box|newsletter|addtoany|post-navigation|feedflare|more-link|sd-like|sharethis|a2a_kit|adsbygoogle|cookie-banner|cookie-notice|cookie-consent|outbrain|taboola|most-read|mostread|most-popular)(?:[-_].*)?$`)

// stripUnwanted removes from the tree under root the elements that are never
// content, widgets, comments and hidden elements. A widget-looking element
// that wraps the article itself (an <article>, <main>, itemprop=articleBody)
// is kept: class names such as "has-comments" on a wrapper are common.
func stripUnwanted(root *html.Node) { strip(root, unwanted) }

// strip removes from the tree under root the nodes that drop reports.
func strip(root *html.Node, drop func(*html.Node) bool) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if drop(c) {
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
	return widget(n)
}

// widget reports whether n is a widget by its class or id, or hidden, and
// does not wrap the article.
func widget(n *html.Node) bool {
	if n.Type != html.ElementNode || n.DataAtom == atom.Body || n.DataAtom == atom.Html || isArticle(n) {
		return false
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

// isArticle reports whether n is an element that holds an article: an
// <article>, <main> or itemprop=articleBody.
func isArticle(n *html.Node) bool {
	if n.DataAtom == atom.Article || n.DataAtom == atom.Main {
		return true
	}
	for _, at := range n.Attr {
		if at.Key == "itemprop" && strings.EqualFold(at.Val, "articleBody") {
			return true
		}
	}
	return false
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
			if isArticle(c) {
				found = true
				return
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

// blockElems are the elements whose whole text is matched as a trailer,
// and that separate the runs of inline content the vote judges.
var blockElems = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true,
	atom.Aside: true, atom.Header: true, atom.Footer: true, atom.Nav: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Dl: true,
	atom.Dt: true, atom.Dd: true, atom.Blockquote: true, atom.Figure: true,
	atom.Figcaption: true, atom.Table: true, atom.Tr: true, atom.Td: true,
	atom.Th: true, atom.Details: true, atom.Summary: true, atom.Center: true,
	atom.Address: true, atom.Pre: true, atom.Hgroup: true, atom.Form: true,
	atom.Main: true, atom.Thead: true, atom.Tbody: true, atom.Tfoot: true,
	atom.Caption: true, atom.Hr: true, atom.Body: true, atom.Html: true,
}

// mediaElems are elements that count as body content without any text.
var mediaElems = map[atom.Atom]bool{
	atom.Img: true, atom.Picture: true, atom.Video: true, atom.Audio: true,
	atom.Svg: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Math: true,
}

// cutTrailerHTML removes, from the tree under root, the first trailer
// block that has body content before it, and everything after it in
// document order; ancestors left empty by the cut go too. It reports
// whether it cut.
func cutTrailerHTML(root *html.Node, t *Trailers) bool {
	if t == nil {
		return false
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
		return false
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
	return true
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

// Clean removes the boilerplate from an item's content, an HTML fragment
// as a feed or page gives it: widgets known by class or id (share,
// related, comments, feed flare), 1×1 tracking images, "Continue reading"
// links, and the first trailer block after some body with all that
// follows. In text without markup (a feed's description) only a share
// or "The post … appeared first on …" tail is cut, as textTailRE.
func Clean(content string, trailers *Trailers) string {
	if !strings.Contains(content, "<") {
		if trailers == nil {
			return content
		}
		if loc := textTailRE.FindStringSubmatchIndex(content); loc != nil {
			return strings.TrimRight(content[:loc[2]], " \t\n")
		}
		return content
	}
	root := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(content), root)
	if err != nil {
		return content
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	changed := false
	strip(root, func(n *html.Node) bool {
		drop := widget(n) || trackingImage(n) || moreLink(n)
		changed = changed || drop
		return drop
	})
	if !cutTrailerHTML(root, trailers) && !changed {
		// Rendering again would still change bytes (spaces, <img/>).
		return content
	}
	return renderChildren(root)
}

// textTailRE matches the share and related widgets of a blog post as they
// end its text once flattened ("… year. Share this: Twitter Facebook
// Related"), and "The post … appeared first on …", after a sentence; the
// first group is what is cut.
var textTailRE = regexp.MustCompile(`(?i)(?:[.!?…"”)]\s+)((?:(?:share|like) this|sharing is caring)\s*:?(?:\s+(?:twitter|facebook|x|linkedin|reddit|pinterest|whatsapp|telegram|tumblr|pocket|mastodon|threads|bluesky|email|e-mail|print|more|like|reblog|loading(?:\.\.\.|…)?|related|click to \w+(?: on \w+)?(?: \(opens in new window\))?))*|the post .{1,300} (?:appeared first|first appeared) on .{1,200})\s*$`)

// trackingImage reports whether n is an image that only counts readers:
// 1×1 (or 0×0) by its attributes, or from a known feed-statistics path.
func trackingImage(n *html.Node) bool {
	if n.Type != html.ElementNode || n.DataAtom != atom.Img {
		return false
	}
	var w, h, src string
	for _, at := range n.Attr {
		switch at.Key {
		case "width":
			w = strings.TrimSpace(strings.TrimSuffix(at.Val, "px"))
		case "height":
			h = strings.TrimSpace(strings.TrimSuffix(at.Val, "px"))
		case "src":
			src = at.Val
		}
	}
	if (w == "0" || w == "1") && (h == "0" || h == "1") {
		return true
	}
	return trackerSrcRE.MatchString(src)
}

// trackerSrcRE matches the image URLs of feed statistics services.
var trackerSrcRE = regexp.MustCompile(`(?i)^(?:https?:)?//(?:feeds\.feedburner\.com/~r/|feeds\.feedburner\.com/~ff/|pixel\.wp\.com/|stats\.wordpress\.com/|[^/]*feedsportal\.com/|pixel\.)`)

// moreLinkRE matches the text of a link to the rest of the article.
var moreLinkRE = regexp.MustCompile(`(?i)^\s*(?:continue reading|read more|keep reading|read the rest)\b`)

// moreLink reports whether n is a "Continue reading …" link: the feed
// item's reader is already reading, and the item links the page.
func moreLink(n *html.Node) bool {
	return n.Type == html.ElementNode && n.DataAtom == atom.A && moreLinkRE.MatchString(nodeText(n, 256))
}
