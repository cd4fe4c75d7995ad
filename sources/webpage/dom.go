package webpage

import (
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// This file finds a page's article list in its HTML: groups of links that
// share a structure, scored as headlines, and the selectors that pick
// them out. Everything is deterministic: no map is iterated unsorted.

// anchor is one link of the page that could be an article's.
type anchor struct {
	n        *html.Node
	href     string // resolved, absolute
	words    int    // words of its text (0 when the text is generic: "Read more")
	heading  bool   // inside, or around, a heading, or classed as a title
	article  bool   // its URL looks like an article's, not a section's
	under    bool   // its URL is under the page's own path (/releases/v1 on /releases)
	inline   bool   // a link inside running text, not a headline
	landmark *html.Node
	key      string
}

// group is the anchors that share a landmark and a local structure: one
// candidate list.
type group struct {
	key     string
	anchors []*anchor
	uniq    int
	words   float64 // median words
	heading float64 // fraction in a heading
	article float64 // fraction with an article-like URL
	inline  float64 // fraction inside running text
	score   float64
}

// minScore is the group score a page's list must reach: a blog's ten
// headline links score about 10, a marketing page's three "Learn more"
// cards or a tag cloud well under 1.
const minScore = 1.5

// domDetect finds the article list in the page's HTML and returns the
// selectors of its items, or ok false.
func domDetect(doc *goquery.Document, base, pageURL string) (sel Selectors, ok bool) {
	// A page laid out in an element whose class names chrome
	// (layout--sidebar) has its list there: look again by tags and roles
	// alone; and a list in a <nav> or <aside> (an archive page's) is
	// found when nothing else is.
	for _, c := range []chromeBy{{class: true, tag: true}, {tag: true}, {}} {
		if sel, ok := domDetectBy(doc, base, pageURL, c); ok {
			return sel, true
		}
	}
	return Selectors{}, false
}

// chromeBy says what marks page chrome: tags and roles, classes and ids.
type chromeBy struct{ tag, class bool }

// domDetectBy is domDetect, with chrome marked as by says.
func domDetectBy(doc *goquery.Document, base, pageURL string, by chromeBy) (sel Selectors, ok bool) {
	pu := feed.ParseHTTPURL(pageURL)
	bu := feed.ParseHTTPURL(base)
	if pu == nil || bu == nil {
		return Selectors{}, false
	}
	var anchors []*anchor
	body := doc.Find("body").Nodes
	if len(body) == 0 {
		return Selectors{}, false
	}
	landmarks := map[*html.Node]string{}
	// Text lengths of links and their blocks, each measured once.
	lengths := map[*html.Node]int{}
	length := func(n *html.Node) int {
		v, ok := lengths[n]
		if !ok {
			v = textLength(n)
			lengths[n] = v
		}
		return v
	}
	// A page repeats its links (an image and a headline, tags, menus):
	// each href is resolved and judged once.
	type link struct {
		u       *url.URL
		s       string
		article bool
		under   bool
	}
	links := map[string]*link{}
	sigs := map[*html.Node]string{}
	sigOf := func(n *html.Node) string {
		v, ok := sigs[n]
		if !ok {
			v = sig(n)
			sigs[n] = v
		}
		return v
	}
	walk(body[0], where{landmark: body[0], reps: map[*html.Node]bool{}, by: by}, func(a *html.Node, landmark *html.Node) {
		alen := textLength(a)
		if alen == 0 && attr(a, "aria-label") == "" && attr(a, "title") == "" {
			return // an image link: its headline has a link of its own
		}
		href := strings.TrimSpace(attr(a, "href"))
		l, seen := links[href]
		if !seen {
			if u := resolveHTTP(bu, href); u != nil && !samePage(u, pu) && (u.Path != "/" && u.Path != "" || u.RawQuery != "") {
				l = &link{u: u, s: u.String(), article: articleLike(u, pu), under: under(u, pu)}
			}
			links[href] = l
		}
		if l == nil {
			return
		}
		an := &anchor{n: a, href: l.s, article: l.article, under: l.under, landmark: landmark}
		// Only short texts can be generic ("Read more", "12 comments"):
		// longer ones are counted without building them.
		if alen > 40 {
			an.words = countWords(a)
		} else if text := linkText(a); !generic(text) {
			an.words = len(strings.Fields(text))
		}
		an.heading = inHeading(a)
		if !an.heading {
			if b := block(a); b != nil && length(b) > 40 && float64(alen) < 0.35*float64(length(b)) && textBefore(a, b) {
				an.inline = true
			}
		}
		id, ok := landmarks[landmark]
		if !ok {
			id = strconv.Itoa(len(landmarks))
			landmarks[landmark] = id
		}
		an.key = id + "|" + sigOf(a) + "<" + sigOf(a.Parent) + "<" + sigOf(a.Parent.Parent)
		anchors = append(anchors, an)
	})
	groups := map[string]*group{}
	var keys []string
	for _, a := range anchors {
		g := groups[a.key]
		if g == nil {
			g = &group{key: a.key}
			groups[a.key] = g
			keys = append(keys, a.key) // first-seen order: deterministic
		}
		g.anchors = append(g.anchors, a)
	}
	var best *group
	for _, k := range keys {
		g := groups[k]
		g.rate()
		if best == nil || g.score > best.score {
			best = g
		}
	}
	if best == nil || best.uniq < 3 || best.score < minScore {
		return Selectors{}, false
	}
	// Lists of other shapes in the same part of the page (a lead story
	// above the teasers, one section's teasers beside another's) join
	// when they are headlines of articles too.
	chosen := []*group{best}
	primary := map[*html.Node]bool{}
	for _, it := range groupItems(chosen)[0] {
		primary[it] = true
	}
	for _, k := range keys {
		g := groups[k]
		if g == best || g.anchors[0].landmark != best.anchors[0].landmark || inside(g, primary) {
			continue
		}
		// Headlines of articles, or long link texts to articles (a
		// section's small stories, listed without headings).
		if g.heading >= 0.5 && g.article >= 0.5 && g.words >= 3 ||
			g.article >= 0.8 && g.words >= 5 && g.inline < 0.5 {
			chosen = append(chosen, g)
		}
	}
	items := itemSelector(chosen)
	if items == "" {
		return Selectors{}, false
	}
	return Selectors{Item: items}, true
}

// inside reports whether most of g's links are inside the items: links
// in a post's body, not a list of their own.
func inside(g *group, items map[*html.Node]bool) bool {
	n := 0
	for _, a := range g.anchors {
		for p := a.n.Parent; p != nil; p = p.Parent {
			if items[p] {
				n++
				break
			}
		}
	}
	return n*2 > len(g.anchors)
}

// rate computes the group's statistics and score.
func (g *group) rate() {
	seen := map[string]bool{}
	var words []int
	var head, art, inline, below int
	for _, a := range g.anchors {
		u := a.href
		if seen[u] {
			continue
		}
		seen[u] = true
		words = append(words, a.words)
		if a.heading {
			head++
		}
		if a.article {
			art++
		}
		if a.inline {
			inline++
		}
		if a.under {
			below++
		}
	}
	g.uniq = len(seen)
	slices.Sort(words)
	g.words = float64(words[len(words)/2])
	n := float64(g.uniq)
	g.heading, g.article, g.inline = float64(head)/n, float64(art)/n, float64(inline)/n
	g.score = math.Sqrt(n) * (0.25 + min(g.words, 8)/8) * (1 + g.heading) * (0.3 + g.article) * (1 - 0.8*float64(inline)/n)
	if below*5 >= g.uniq*4 {
		// The pages under this one's path are its items: /releases/v1.2
		// on /releases, /blog/a-post on /blog/.
		g.score *= 1.5
	}
	if g.uniq >= 3 && g.score >= minScore/3 {
		// Dated links are a list of things published: a release table, an
		// archive. Only looked for where it can change the outcome.
		dated := 0
		n := min(len(g.anchors), 20)
		for _, a := range g.anchors[:n] {
			p := a.n
			for i := 0; i < 3 && p.Parent != nil && p.Parent.Data != "body"; i++ {
				p = p.Parent
			}
			if dateElem(p, 2) != nil {
				dated++
			}
		}
		g.score *= 1 + float64(dated)/float64(n)
	}
}

// where is what walk knows of an element's ancestors.
type where struct {
	landmark  *html.Node // the nearest main, or the body
	inArticle bool       // inside an <article>
	inContent bool       // inside an article, main, section or list item
	by        chromeBy   // what marks chrome
	// reps remembers which elements repeated found repeated: a page of
	// many items asks it of each item's parent once.
	reps map[*html.Node]bool
}

func (w where) repeated(n *html.Node) bool {
	v, ok := w.reps[n]
	if !ok {
		v = repeated(n)
		w.reps[n] = v
	}
	return v
}

// walk visits the elements under n, calling fn for each link with the
// landmark it is in (the nearest main, or the body). Page chrome
// (navigation, asides, footers, ads…) is not entered: it is never the
// list, and a big page holds thousands of its links.
func walk(n *html.Node, w where, fn func(a, landmark *html.Node)) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch c.Data {
		case "script", "style", "noscript", "template", "svg", "head", "iframe", "select", "button", "textarea":
			continue
		}
		if isChrome(c, w) {
			continue
		}
		cw := w
		switch c.Data {
		case "article":
			cw.inArticle, cw.inContent = true, true
		case "main":
			cw.landmark, cw.inContent = c, true
		case "section", "li":
			cw.inContent = true
		}
		if attr(c, "role") == "main" {
			cw.landmark = c
		}
		if c.Data == "a" && attr(c, "href") != "" {
			fn(c, cw.landmark)
		}
		walk(c, cw, fn)
	}
}

var chromeRoles = map[string]bool{"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"menu": true, "menubar": true, "search": true, "dialog": true, "toolbar": true}

// chromeWords are the class and id words of page chrome. "most" counts
// when followed by read, popular, viewed…
var chromeWords = map[string]bool{
	"nav": true, "navbar": true, "navigation": true, "menu": true, "footer": true, "sidebar": true,
	"breadcrumb": true, "breadcrumbs": true, "pagination": true, "pager": true, "paging": true,
	"social": true, "share": true, "sharing": true, "ad": true, "ads": true, "advert": true,
	"advertisement": true, "sponsor": true, "sponsored": true, "related": true,
	"popular": true, "trending": true, "mostread": true, "widget": true, "widgets": true,
	"tagcloud": true, "newsletter": true, "subscribe": true, "cookie": true, "cookies": true,
	"skip": true, "toolbar": true, "topbar": true, "masthead": true, "login": true, "signin": true,
	"comments": true, "comment": true, "tags": true, "taglist": true, "categories": true,
	"banner": true, "outbrain": true, "taboola": true,
}

var mostWords = map[string]bool{"read": true, "popular": true, "viewed": true, "shared": true, "commented": true, "emailed": true}

// isChrome reports whether e, in w, is navigation, a footer, an aside, an
// ad or the like, by its tag, role, class or id. A header or footer is
// the page's only outside its content and not in one of several items
// alike (a post's header holds its title); inside an article, classes do
// not make chrome.
func isChrome(e *html.Node, w where) bool {
	if !w.by.tag {
		return false
	}
	switch e.Data {
	case "nav", "aside":
		return true
	case "header", "footer":
		return !w.inContent && !w.repeated(e.Parent)
	}
	if chromeRoles[attr(e, "role")] {
		return true
	}
	if w.inArticle || !w.by.class {
		return false
	}
	for _, s := range []string{attr(e, "class"), attr(e, "id"), attr(e, "aria-label"), attr(e, "data-component"), attr(e, "data-testid"), attr(e, "data-module")} {
		words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		})
		for i, w := range words {
			if i > 0 && modifiers[words[i-1]] {
				continue // has-sidebar, no-ads: the page's state, not its chrome
			}
			if chromeWords[w] || w == "most" && i+1 < len(words) && mostWords[words[i+1]] {
				// A wrapper of the whole page named for its chrome holds
				// the main content.
				return findElem(e, func(n *html.Node) bool { return n.Data == "main" || attr(n, "role") == "main" }) == nil
			}
		}
	}
	return chromeHeading(e)
}

// chromeHeadingRE matches the headings of blocks beside a page's list:
// "Most read", "Trending", "Related", "You may also like".
var chromeHeadingRE = regexp.MustCompile(`(?i)^(most (read|popular|viewed|shared|commented|emailed)|trending( now)?|popular( now| posts| stories)?|related( (posts|articles|stories|content))?|recommended( for you)?|you (may|might) (also )?like|read next|sponsored( content)?|advertisement|from our partners)\b`)

// chromeHeading reports whether one of e's first children is a heading
// naming such a block.
func chromeHeading(e *html.Node) bool {
	switch e.Data {
	case "section", "div", "ul", "ol":
	default:
		return false
	}
	i := 0
	for c := e.FirstChild; c != nil && i < 3; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		i++
		if isHeading(c) {
			t, ok := shortText(c, 40)
			return ok && chromeHeadingRE.MatchString(t)
		}
	}
	return false
}

// repeated reports whether n has a sibling of the same tag and class: it
// is one item of a list.
func repeated(n *html.Node) bool {
	if n == nil || n.Type != html.ElementNode || n.Data == "body" {
		return false
	}
	s := sig(n)
	for _, sib := range []func(*html.Node) *html.Node{
		func(x *html.Node) *html.Node { return x.PrevSibling },
		func(x *html.Node) *html.Node { return x.NextSibling },
	} {
		for x, i := sib(n), 0; x != nil && i < 50; x, i = sib(x), i+1 { // items alike are near
			if x.Type == html.ElementNode && x.Data == n.Data && sig(x) == s {
				return true
			}
		}
	}
	return false
}

var modifiers = map[string]bool{"has": true, "with": true, "no": true, "without": true, "show": true, "hide": true, "is": true}

// textLength is the length of the text under n, white space trimmed
// from each text node.
func textLength(n *html.Node) int {
	total := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			total += len(strings.TrimSpace(c.Data))
		case c.Type == html.ElementNode && c.Data != "script" && c.Data != "style":
			total += textLength(c)
		}
	}
	return total
}

var blockTags = map[string]bool{"p": true, "li": true, "td": true, "th": true, "dd": true, "dt": true, "div": true,
	"section": true, "article": true, "blockquote": true, "figcaption": true, "main": true, "body": true,
	"ul": true, "ol": true, "table": true, "header": true, "footer": true, "aside": true, "nav": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true}

// textBefore reports whether text comes before a in block b: a link in
// the middle of a sentence, not one that starts a paragraph (a link
// blog's "<p><a>Title</a>. Comment…").
func textBefore(a, b *html.Node) bool {
	for n := a; n != b && n != nil; n = n.Parent {
		for s := n.PrevSibling; s != nil; s = s.PrevSibling {
			if s.Type == html.TextNode && strings.TrimSpace(s.Data) != "" || s.Type == html.ElementNode && hasText(s) {
				return true
			}
		}
	}
	return false
}

// hasText reports whether there is text under n, stopping at the first.
func hasText(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			return true
		case c.Type == html.ElementNode && c.Data != "script" && c.Data != "style" && hasText(c):
			return true
		}
	}
	return false
}

// shortText is the text under n, collapsed, when it is at most max
// bytes; reading stops past max, so asking of a large element costs
// little.
func shortText(n *html.Node, max int) (string, bool) {
	var b strings.Builder
	var f func(*html.Node) bool
	f = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				b.WriteString(c.Data)
				if b.Len() > 4*max {
					return false
				}
			case c.Type == html.ElementNode && c.Data != "script" && c.Data != "style":
				if !f(c) {
					return false
				}
			}
		}
		return true
	}
	if !f(n) {
		return "", false
	}
	t := feed.CollapseSpace(b.String())
	return t, len(t) <= max
}

// hasWords reports whether the text under n has at least n words,
// stopping once it has.
func hasWords(n *html.Node, want int) bool {
	words := 0
	var f func(*html.Node) bool
	f = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				words += len(strings.Fields(c.Data))
				if words >= want {
					return true
				}
			case c.Type == html.ElementNode && c.Data != "script" && c.Data != "style":
				if f(c) {
					return true
				}
			}
		}
		return false
	}
	return f(n)
}

// block is the nearest block element around a.
func block(a *html.Node) *html.Node {
	for p := a.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && blockTags[p.Data] {
			return p
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

// resolveHTTP is feed.ResolveHTTP of a link to another page: not one to
// a place on this page ("#…").
func resolveHTTP(base *url.URL, href string) *url.URL {
	if strings.HasPrefix(href, "#") {
		return nil
	}
	return feed.ResolveHTTP(base, href)
}

// samePage reports whether u is the page itself (a fragment of it).
func samePage(u, page *url.URL) bool {
	return strings.EqualFold(u.Host, page.Host) && strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(page.Path, "/") && u.RawQuery == page.RawQuery
}

// linkText is the visible text of a link, or its image's alt text, or
// its aria-label or title.
func linkText(a *html.Node) string {
	if t := feed.CollapseSpace(goquery.NewDocumentFromNode(a).Text()); t != "" {
		return t
	}
	for _, k := range []string{"aria-label", "title"} {
		if v := feed.CollapseSpace(attr(a, k)); v != "" {
			return v
		}
	}
	return ""
}

// countWords counts the words of the text under n without building it.
func countWords(n *html.Node) int {
	words := 0
	var f func(*html.Node)
	f = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			in := false
			for _, r := range n.Data {
				space := r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '\u00a0'
				if !space && !in {
					words++
				}
				in = !space
			}
		case n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style"):
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return words
}

var genericTexts = map[string]bool{
	"read more": true, "more": true, "continue reading": true, "read the rest": true, "learn more": true,
	"see more": true, "view all": true, "see all": true, "view more": true, "next": true, "previous": true,
	"prev": true, "older posts": true, "newer posts": true, "older": true, "newer": true, "load more": true,
	"comments": true, "no comments": true, "discuss": true, "discussion": true, "reply": true, "share": true, "tweet": true, "permalink": true, "details": true,
	"click here": true, "here": true, "link": true, "get started": true, "sign up": true, "log in": true,
	"download": true, "subscribe": true, "home": true, "#": true, "»": true, "«": true, "→": true, "←": true,
	"¶": true, "∞": true, "...": true, "…": true,
}

// generic reports whether a link's text is not a headline: empty, a
// "Read more", a page number, a comment count.
func generic(text string) bool {
	t := strings.ToLower(strings.Trim(text, " .:»›→>"))
	if t == "" || genericTexts[t] || genericTexts[strings.ToLower(text)] {
		return true
	}
	if _, err := strconv.Atoi(t); err == nil {
		return true
	}
	if f := strings.Fields(t); len(f) == 1 && (t[0] == '#' || t[0] == '@') {
		return true // an issue reference, a user
	}
	if f := strings.Fields(t); len(f) == 2 && (f[1] == "comments" || f[1] == "comment" || f[1] == "replies") {
		return true
	}
	return strings.HasPrefix(t, "read more") || strings.HasPrefix(t, "continue reading")
}

func isHeading(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.Data {
	case "h1", "h2", "h3", "h4", "h5", "h6":
		return true
	}
	return attr(n, "role") == "heading"
}

// inHeading reports whether a is in a heading (within three levels),
// holds one, or is classed as a title.
func inHeading(a *html.Node) bool {
	p := a
	for i := 0; i < 4 && p != nil; i, p = i+1, p.Parent {
		if isHeading(p) || titleClass(p) {
			return true
		}
	}
	if p := a.Parent; p != nil && (p.Data == "strong" || p.Data == "b") {
		// A bold link opening its paragraph is that paragraph's title.
		if b := block(a); b != nil && !textBefore(a, b) {
			return true
		}
	}
	return findElem(a, isHeading) != nil
}

func titleClass(n *html.Node) bool {
	c := strings.ToLower(attr(n, "class"))
	return strings.Contains(c, "title") || strings.Contains(c, "headline") || strings.Contains(c, "heading")
}

// findElem returns the first element under n (n excluded) that match
// accepts, in document order.
func findElem(n *html.Node, match func(*html.Node) bool) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if match(c) {
			return c
		}
		if f := findElem(c, match); f != nil {
			return f
		}
	}
	return nil
}

// sectionWords are path segments of section, tag, author and utility
// pages: a link to one is not an article.
var sectionWords = map[string]bool{
	"tag": true, "tags": true, "category": true, "categories": true, "topic": true, "topics": true,
	"section": true, "sections": true, "author": true, "authors": true, "page": true, "search": true,
	"login": true, "signin": true, "signup": true, "register": true, "subscribe": true, "account": true,
	"about": true, "contact": true, "privacy": true, "terms": true, "feed": true, "rss": true, "cart": true,
	"user": true, "users": true, "profile": true, "share": true, "sharer": true, "intent": true,
	"domain": true, "domains": true, "from": true, "site": true, "source": true,
}

// collections are first path segments under which each page is one
// article, post, release or video.
var collections = map[string]bool{"p": true, "post": true, "posts": true, "blog": true, "article": true,
	"articles": true, "news": true, "story": true, "stories": true, "entry": true, "entries": true, "notes": true,
	"releases": true, "release": true, "videos": true, "video": true, "watch": true, "episodes": true,
	"episode": true, "items": true, "item": true, "linked": true, "til": true, "changelog": true}

// socialHosts are hosts whose links are sharing and following, not
// articles.
var socialHosts = []string{"twitter.com", "x.com", "facebook.com", "linkedin.com", "instagram.com",
	"pinterest.com", "reddit.com/submit", "mastodon.social", "bsky.app", "t.me", "wa.me", "whatsapp.com", "threads.net"}

// articleLike reports whether u looks like an article's URL rather than a
// section, tag, author, pagination or utility page's.
func articleLike(u, page *url.URL) bool {
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	for _, s := range socialHosts {
		if host == s || strings.HasPrefix(s, host+"/") && strings.HasPrefix(u.Path, strings.TrimPrefix(s, host)) {
			return false
		}
	}
	if download(u.Path) {
		return false
	}
	var q url.Values
	if u.RawQuery != "" {
		q = u.Query()
	}
	if q.Has("page") || q.Has("paged") {
		return false
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	for i, s := range segs {
		if sectionWords[strings.ToLower(s)] {
			// /tag/go is a tag page; /releases/tag/v1.2.0 names one release.
			if i+1 >= len(segs) || !strings.ContainsAny(segs[i+1], "0123456789") {
				return false
			}
		}
	}
	for _, k := range []string{"p", "v", "id", "story", "article"} {
		if q.Get(k) != "" {
			return true
		}
	}
	if len(segs) == 0 {
		return false
	}
	last := segs[len(segs)-1]
	if len(segs) >= 2 && collections[strings.ToLower(segs[0])] {
		return true
	}
	switch {
	case strings.Count(last, "-") >= 2, strings.Count(last, "_") >= 2:
		return true
	case len(segs) >= 3:
		return true
	case hasDigits(last, 3):
		return true
	case strings.HasSuffix(last, ".html") || strings.HasSuffix(last, ".htm") || strings.HasSuffix(last, ".php"):
		return len(last) > 10
	case len(segs) >= 2 && (len(last) >= 12 || strings.ContainsAny(last, "-_")):
		return true
	}
	return !strings.EqualFold(host, strings.TrimPrefix(strings.ToLower(page.Host), "www.")) && len(segs) >= 2
}

// under reports whether u is a page below page's own path, on its host.
// The site's root has every page under it, so it tells nothing.
func under(u, page *url.URL) bool {
	base := strings.TrimSuffix(page.Path, "/")
	if base == "" || !sameSite(u, page) {
		return false
	}
	if i := strings.LastIndex(base, "/"); i >= 0 && strings.Contains(base[i:], ".") {
		base = base[:i] // /blog/index.html lists /blog/…
		if base == "" {
			return false
		}
	}
	return strings.HasPrefix(u.Path, base+"/") && len(u.Path) > len(base)+1
}

// download reports whether a path names a file to download or an image,
// not a page.
func download(p string) bool {
	p = strings.ToLower(p)
	for _, ext := range []string{".zip", ".gz", ".tgz", ".xz", ".bz2", ".7z", ".rar", ".tar", ".exe", ".msi", ".dmg",
		".pkg", ".deb", ".rpm", ".apk", ".jar", ".iso", ".img", ".asc", ".sig", ".sha256", ".jpg", ".jpeg", ".png",
		".gif", ".webp", ".svg", ".mp3", ".mp4", ".css", ".js", ".woff2"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

func hasDigits(s string, n int) bool {
	c := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			c++
		}
	}
	return c >= n
}

// unstable are classes that differ between items of one list.
var unstable = map[string]bool{"odd": true, "even": true, "first": true, "last": true, "active": true,
	"selected": true, "current": true, "alt": true, "clearfix": true, "cf": true, "hidden": true, "visible": true}

// stableClass is an element's first class that is a plain identifier
// without digits (post-123 and md:flex are not), so it is shared by the
// items of a list and needs no escaping in a selector.
func stableClass(n *html.Node) string {
	for _, c := range strings.Fields(attr(n, "class")) {
		if unstable[strings.ToLower(c)] || !plainIdent(c) {
			continue
		}
		return c
	}
	return ""
}

func plainIdent(s string) bool {
	if s == "" || s[0] == '-' || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// sig is an element's part of a selector: its tag and stable class, and
// its column in a table row (a table's columns are its structure).
func sig(n *html.Node) string {
	if n == nil || n.Type != html.ElementNode {
		return ""
	}
	s := n.Data
	if c := stableClass(n); c != "" {
		s += "." + c
	}
	if n.Data == "td" || n.Data == "th" {
		s += ":nth-child(" + strconv.Itoa(elemIndex(n)) + ")"
	}
	return s
}

func elemIndex(n *html.Node) int {
	i := 1
	for s := n.PrevSibling; s != nil; s = s.PrevSibling {
		if s.Type == html.ElementNode {
			i++
		}
	}
	return i
}

// itemSelector finds the item element of each chosen link (the largest
// element around it holding no other chosen link, at the level most of
// its group agree on) and returns a selector matching those items.
func itemSelector(groups []*group) string {
	// Items by shape, in first-seen order: one selector per shape, over
	// every group's items of that shape.
	byShape := map[string][]*html.Node{}
	var shapes []string
	seen := map[*html.Node]bool{}
	for _, items := range groupItems(groups) {
		for _, n := range items {
			if seen[n] {
				continue
			}
			seen[n] = true
			sh := sig(n)
			if byShape[sh] == nil {
				shapes = append(shapes, sh)
			}
			byShape[sh] = append(byShape[sh], n)
		}
	}
	var sels []string
	for _, sh := range shapes {
		items := byShape[sh]
		sc, lca := scope(items)
		join := " "
		if !slices.ContainsFunc(items, func(it *html.Node) bool { return it.Parent != lca }) {
			join = " > " // all children of one list: say so, the tighter
		}
		if s := strings.TrimSpace(sc + join + sh); !slices.Contains(sels, s) {
			sels = append(sels, s)
		}
	}
	return strings.Join(sels, ", ")
}

// groupItems returns each group's items: for each link, the largest
// element around it holding no other link of the groups, at the level
// most of its group agree on.
func groupItems(groups []*group) [][]*html.Node {
	count := map[*html.Node]int{}
	for _, g := range groups {
		for _, a := range g.anchors {
			for p := a.n; p != nil; p = p.Parent {
				count[p]++
			}
		}
	}
	out := make([][]*html.Node, len(groups))
	for gi, g := range groups {
		levels := map[int]int{}
		for _, a := range g.anchors {
			k := 0
			for p := a.n; p.Parent != nil && count[p.Parent] == 1 && p.Parent != a.landmark && p.Parent.Data != "body"; p = p.Parent {
				k++
			}
			levels[k]++
		}
		k, best := 0, -1
		for lv := 0; lv < 64; lv++ {
			if levels[lv] > best {
				k, best = lv, levels[lv]
			}
		}
		seen := map[*html.Node]bool{}
		for _, a := range g.anchors {
			n := a.n
			for i := 0; i < k && n.Parent != nil && n.Parent.Data != "body"; i++ {
				n = n.Parent
			}
			if !seen[n] {
				seen[n] = true
				out[gi] = append(out[gi], n)
			}
		}
	}
	return out
}

// scope is the selector of the nearest element holding every item, and
// that element: its id when it has a plain one, else up to three levels
// of tags and classes ending at it.
func scope(items []*html.Node) (string, *html.Node) {
	lca := items[0].Parent
	for _, it := range items[1:] {
		for lca != nil && !contains(lca, it) {
			lca = lca.Parent
		}
	}
	var parts []string
	for n, i := lca, 0; n != nil && n.Type == html.ElementNode && i < 3; n, i = n.Parent, i+1 {
		if id := attr(n, "id"); plainIdent(id) {
			parts = append(parts, "#"+id)
			break
		}
		if n.Data == "body" || n.Data == "html" {
			if len(parts) == 0 {
				parts = append(parts, n.Data)
			}
			break
		}
		parts = append(parts, sig(n))
		if n.Data == "main" {
			break
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, " > "), lca
}

func contains(n, d *html.Node) bool {
	for p := d; p != nil; p = p.Parent {
		if p == n {
			return true
		}
	}
	return false
}

// --- inside each item ---

// maxSample is how many items detectInItems looks into.
const maxSample = 40

// sample returns up to max of items, spread over the list and over each
// shape of item (a lead story is one among a thousand teasers), in
// document order.
func sample(items []*html.Node, size int) []*html.Node {
	if len(items) <= size {
		return items
	}
	byShape := map[string][]int{}
	var shapes []string
	for i, it := range items {
		k := sig(it)
		if byShape[k] == nil {
			shapes = append(shapes, k)
		}
		byShape[k] = append(byShape[k], i)
	}
	per := max(size/len(shapes), 3)
	var picked []int
	for _, k := range shapes {
		idx := byShape[k]
		n := min(per, len(idx))
		for j := range n {
			picked = append(picked, idx[j*len(idx)/n])
		}
	}
	slices.Sort(picked)
	out := make([]*html.Node, len(picked))
	for i, j := range picked {
		out[i] = items[j]
	}
	return out
}

// detectInItems returns the selectors, relative to each item, of its
// title, link, date and summary, as most of the items agree.
func detectInItems(items []*html.Node, base, pageURL string) Selectors {
	bu, pu := feed.ParseHTTPURL(base), feed.ParseHTTPURL(pageURL)
	if bu == nil || pu == nil || len(items) == 0 {
		return Selectors{}
	}
	items = sample(items, maxSample)
	type pick struct{ title, link, date, summary *html.Node }
	picks := make([]pick, len(items))
	for i, it := range items {
		a := headlineAnchor(it, bu, pu)
		if a == nil {
			continue
		}
		pk := pick{title: a, link: a}
		if h := headingAround(a, it); h != nil {
			// The heading when it says what its link says (the simpler
			// selector); the link when the heading adds a label, a count.
			if feed.CollapseSpace(goquery.NewDocumentFromNode(h).Text()) == linkText(a) {
				pk.title = h
			}
		} else if h := findElem(a, isHeading); h != nil {
			pk.title = h
		} else if generic(linkText(a)) {
			if h := findElem(it, isHeading); h != nil {
				pk.title = h
			}
		} else if b := titleChild(a); b != nil {
			pk.title = b // a card: its title, not its date and kicker too
		}
		if u := resolveHTTP(bu, attr(a, "href")); u != nil && !sameSite(u, pu) {
			if pl := permalink(it, a, bu, pu); pl != nil {
				pk.link = pl
			}
		}
		pk.date = dateElem(it, maxDateTries)
		pk.summary = summaryElem(it, pk.title)
		picks[i] = pk
	}
	choose := func(get func(pick) *html.Node, quorum float64) string {
		// paths collects each item's path, plain or scoped to the item's
		// shape (article.lead h2 > a), in first-seen order with counts.
		paths := func(scoped bool) ([]string, map[string]int, int) {
			var out []string
			counts := map[string]int{}
			n := 0
			for i, pk := range picks {
				e := get(pk)
				if e == nil {
					continue
				}
				n++
				p := exactPath(items[i], e)
				if scoped && e != items[i] {
					p = sig(items[i]) + " " + p
				}
				if counts[p] == 0 {
					out = append(out, p)
				}
				counts[p]++
			}
			return out, counts, n
		}
		// picksAll reports whether sel picks each item's own element.
		picksAll := func(union string) bool {
			sel, err := cascadia.Compile(union)
			if err != nil {
				return false
			}
			for i, pk := range picks {
				if e := get(pk); e != nil && firstMatch(items[i], sel) != e {
					return false
				}
			}
			return true
		}
		plain, counts, n := paths(false)
		if n == 0 || float64(n) < quorum*float64(len(items)) {
			return ""
		}
		// Several shapes (a lead story's h2, the teasers' h3) are joined
		// when the union still picks each item's own element; else each
		// path is scoped to its item's shape; else most items decide.
		if union := strings.Join(plain, ", "); len(plain) == 1 || picksAll(union) {
			return union
		}
		if scoped, _, _ := paths(true); picksAll(strings.Join(scoped, ", ")) {
			return strings.Join(scoped, ", ")
		}
		mode := plain[0]
		for _, p := range plain {
			if counts[p] > counts[mode] {
				mode = p
			}
		}
		return mode
	}
	return Selectors{
		Title:   choose(func(p pick) *html.Node { return p.title }, 0.01),
		Link:    choose(func(p pick) *html.Node { return p.link }, 0.01),
		Date:    choose(func(p pick) *html.Node { return p.date }, 0.4),
		Summary: choose(func(p pick) *html.Node { return p.summary }, 0.4),
	}
}

// firstMatch is what Page.find picks: the first match inside item, else
// item itself.
func firstMatch(item *html.Node, sel cascadia.Selector) *html.Node {
	if f := cascadia.Query(item, sel); f != nil {
		return f
	}
	if sel.Match(item) {
		return item
	}
	return nil
}

// headlineAnchor picks the item's link most like a headline's.
func headlineAnchor(item *html.Node, bu, pu *url.URL) *html.Node {
	var best *html.Node
	bestScore := math.Inf(-1)
	consider := func(a *html.Node) {
		u := resolveHTTP(bu, strings.TrimSpace(attr(a, "href")))
		if u == nil || samePage(u, pu) {
			return
		}
		text := linkText(a)
		s := 0.0
		if generic(text) {
			s -= 5
		} else {
			s += min(float64(len(strings.Fields(text))), 10) / 3
		}
		if inHeading(a) {
			s += 3
		}
		if articleLike(u, pu) {
			s += 1
		}
		if under(u, pu) {
			s += 1
		}
		if s > bestScore {
			best, bestScore = a, s
		}
	}
	if item.Data == "a" && attr(item, "href") != "" {
		consider(item)
	}
	var f func(n *html.Node)
	f = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.Data == "a" && attr(c, "href") != "" {
				consider(c)
			}
			f(c)
		}
	}
	f(item)
	return best
}

// titleChild returns, of a link holding two or more elements with text
// (a card: title and date, kicker and headline), the one that is its
// title: not a date, the most words; else nil.
func titleChild(a *html.Node) *html.Node {
	var best *html.Node
	bestWords, n := 0, 0
	for c := a.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || !hasText(c) {
			continue
		}
		n++
		if c.Data == "time" || findElem(c, func(x *html.Node) bool { return x.Data == "time" || attr(x, "datetime") != "" }) != nil {
			continue
		}
		if t, ok := shortText(c, 40); ok && dateLike(t) {
			if _, err := sources.ParseDate(t, nil); err == nil {
				continue
			}
		}
		if w := countWords(c); w > bestWords {
			best, bestWords = c, w
		}
	}
	if n < 2 {
		return nil
	}
	return best
}

// headingAround returns the heading a is in, below item.
func headingAround(a, item *html.Node) *html.Node {
	for p := a.Parent; p != nil && p != item; p = p.Parent {
		if isHeading(p) {
			return p
		}
	}
	return nil
}

func sameSite(u, page *url.URL) bool {
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.") == strings.TrimPrefix(strings.ToLower(page.Hostname()), "www.")
}

// permalink finds, in an item whose headline links elsewhere (a link
// blog), the item's own link on the site: marked rel=bookmark or as a
// permalink, or around its date.
func permalink(item, headline *html.Node, bu, pu *url.URL) *html.Node {
	var found, fallback *html.Node
	var f func(n *html.Node)
	f = func(n *html.Node) {
		for c := n.FirstChild; c != nil && found == nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.Data == "a" && c != headline {
				u := resolveHTTP(bu, strings.TrimSpace(attr(c, "href")))
				if u != nil && sameSite(u, pu) && articleLike(u, pu) && !samePage(u, pu) {
					rel := " " + strings.ToLower(attr(c, "rel")) + " "
					cls := strings.ToLower(attr(c, "class"))
					t := strings.ToLower(linkText(c))
					switch {
					case strings.Contains(rel, " bookmark "), strings.Contains(cls, "permalink"),
						findElem(c, func(n *html.Node) bool { return n.Data == "time" }) != nil,
						t == "#" || t == "¶" || t == "∞" || t == "★" || t == "☆" || t == "permalink" || t == "link",
						strings.Contains(strings.ToLower(attr(c, "title")), "perma"):
						found = c
						return
					}
					// Unmarked, a link is the permalink only when it looks
					// like a post's (a date or a slug in its path) and is
					// not "12 comments": a discussion is not the post.
					if fallback == nil && !generic(linkText(c)) && (hasDigits(u.Path, 4) || strings.Count(u.Path, "-") >= 2) {
						fallback = c
					}
				}
			}
			f(c)
		}
	}
	f(item)
	if found != nil {
		return found
	}
	return fallback
}

var dateClassWords = []string{"date", "time", "published", "posted", "timestamp", "pubdate", "byline", "meta"}

// dateElem finds the item's date: a <time>, else an element classed as a
// date whose text reads as one, else a short leaf (a table cell) that
// reads as a date, reading at most maxTries texts as dates.
func dateElem(item *html.Node, maxTries int) *html.Node {
	// Reading a date that is none costs much (every layout is tried), and
	// a broken page can make an item of the whole page: a few tries per
	// item, on texts that look like dates.
	tries := 0
	parses := func(t string) bool {
		if tries >= maxTries {
			return false
		}
		tries++
		_, err := sources.ParseDate(t, nil)
		return err == nil
	}
	isDate := func(n *html.Node) bool {
		t, ok := shortText(n, 40)
		return ok && dateLike(t) && parses(t)
	}
	// A <time> counts when it reads as a date ("3 hours ago" does not),
	// as the extraction will read it: its datetime, else its text.
	if t := findElem(item, func(n *html.Node) bool {
		if n.Data != "time" && (n.Data == "a" || attr(n, "datetime") == "") {
			return false
		}
		if dt := strings.TrimSpace(attr(n, "datetime")); dt != "" {
			return parses(dt)
		}
		return isDate(n)
	}); t != nil {
		return t
	}
	if e := findElem(item, func(n *html.Node) bool {
		c := strings.ToLower(attr(n, "class"))
		for _, w := range dateClassWords {
			if strings.Contains(c, w) && isDate(n) {
				return true
			}
		}
		return false
	}); e != nil {
		return e
	}
	return findElem(item, func(n *html.Node) bool {
		return n.Data != "a" && findElem(n, func(*html.Node) bool { return true }) == nil && isDate(n)
	})
}

// maxDateTries bounds the texts dateElem reads as dates in one item when
// its date is looked for; a list's score looks at fewer.
const maxDateTries = 8

var monthRE = regexp.MustCompile(`(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b`)

// dateLike reports whether t may be a date: a year, a month's name, or
// day and month in digits.
func dateLike(t string) bool {
	if t == "" || !hasDigits(t, 1) {
		return false
	}
	run, sep := 0, false
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			run++
			if run >= 4 {
				return true
			}
		case r == '/' || r == '-' || r == '.':
			if run > 0 {
				sep = true
			}
			run = 0
		default:
			run = 0
		}
	}
	return sep || monthRE.MatchString(t)
}

var summaryClassWords = []string{"summary", "excerpt", "teaser", "dek", "standfirst", "description", "intro",
	"entry-content", "post-content", "article-body", "content", "body", "lede", "abstract", "snippet"}

// summaryElem finds the item's summary: an element classed as one, else
// its first paragraph of some length, never the title's.
func summaryElem(item, title *html.Node) *html.Node {
	titleWords := countWords(title)
	ok := func(n *html.Node) bool {
		if contains(title, n) || metaClass(n) {
			return false
		}
		if contains(n, title) {
			// A link blog's paragraph opens with its title: it is the
			// summary when it says more.
			return n.Data == "p" && hasWords(n, titleWords+5)
		}
		return hasWords(n, 5)
	}
	if e := findElem(item, func(n *html.Node) bool {
		c := strings.ToLower(attr(n, "class"))
		if c == "" || n.Data == "a" {
			return false
		}
		for _, w := range summaryClassWords {
			if strings.Contains(c, w) && ok(n) {
				return true
			}
		}
		return false
	}); e != nil {
		return e
	}
	return findElem(item, func(n *html.Node) bool { return n.Data == "p" && ok(n) })
}

// exactPath is relPath, made to pick e itself when an earlier element
// matches it too (a section link before the headline's in one heading):
// its position among the elements of its tag is added.
func exactPath(item, e *html.Node) string {
	p := relPath(item, e)
	if sel, err := cascadia.Compile(p); err == nil && firstMatch(item, sel) == e {
		return p
	}
	k := 1
	for s := e.PrevSibling; s != nil; s = s.PrevSibling {
		if s.Type == html.ElementNode && s.Data == e.Data {
			k++
		}
	}
	return p + ":nth-of-type(" + strconv.Itoa(k) + ")"
}

// metaClass reports whether n is classed as an item's metadata: its
// date, byline, tags.
func metaClass(n *html.Node) bool {
	c := strings.ToLower(attr(n, "class"))
	for _, w := range []string{"date", "meta", "tags", "byline", "author", "share", "comments"} {
		if strings.Contains(c, w) {
			return true
		}
	}
	return false
}

// relPath is the selector of e relative to item: the tags and classes
// from item's child down to e, or e's own when e is item.
func relPath(item, e *html.Node) string {
	if e == item {
		return sig(e)
	}
	var parts []string
	for n := e; n != nil && n != item; n = n.Parent {
		parts = append(parts, sig(n))
	}
	slices.Reverse(parts)
	return strings.Join(parts, " > ")
}
