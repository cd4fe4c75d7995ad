package webpage

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// Strategies of detection, in the order they are tried (see Detect).
const (
	StrategySelectors = "selectors" // every selector given: no detection
	StrategyJSONLD    = "json-ld"
	StrategyMicrodata = "microdata"
	StrategyHTML      = "html"
	StrategyState     = "embedded-json"
	StrategyWordPress = "wordpress-api"
)

// Selectors are the CSS selectors of a page source; empty ones are
// unset.
type Selectors struct {
	Item, Title, Link, Date, Summary string
}

// Detection is how a page's article list was found: for the log, for
// herald preview and herald add, and for users to freeze into their
// configuration.
type Detection struct {
	Strategy string
	// Selectors are what the html, microdata and selectors strategies
	// read the items with (the given ones and those detected).
	Selectors Selectors
	// Path is where a JSON strategy found the list, as "script#id
	// props.pageProps.posts" or an API URL.
	Path string
	// Tried lists the strategies tried, for the error when none found a
	// list.
	Tried []string
}

// String describes d in one line: its strategy, then Found.
func (d Detection) String() string {
	if f := d.Found(); f != "" {
		return d.Strategy + " " + f
	}
	return d.Strategy
}

// Found is where the list was found: the JSON path, or the selectors
// as key="value" pairs.
func (d Detection) Found() string {
	var parts []string
	if d.Path != "" {
		parts = append(parts, d.Path)
	}
	for _, kv := range d.Selectors.fields() {
		if kv[1] != "" {
			parts = append(parts, fmt.Sprintf("%s=%q", kv[0], kv[1]))
		}
	}
	return strings.Join(parts, " ")
}

func (s Selectors) fields() [][2]string {
	return [][2]string{{"item", s.Item}, {"title", s.Title}, {"link", s.Link}, {"date", s.Date}, {"summary", s.Summary}}
}

// merge returns s with its empty selectors taken from d.
func (s Selectors) merge(d Selectors) Selectors {
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&s.Item, d.Item}, {&s.Title, d.Title}, {&s.Link, d.Link}, {&s.Date, d.Date}, {&s.Summary, d.Summary},
	} {
		if *p.dst == "" {
			*p.dst = p.src
		}
	}
	return s
}

func (s Selectors) any() bool { return s != Selectors{} }

// complete reports whether no detection is needed: item, title and link
// are given (date and summary are optional).
func (s Selectors) complete() bool { return s.Item != "" && s.Title != "" && s.Link != "" }

// ErrNotHTML means a page source with selectors to detect was given a
// body that is not an HTML page.
var ErrNotHTML = errors.New("not an HTML page")

// ErrIsFeed means the page is itself a feed: type feed reads it.
var ErrIsFeed = errors.New("the page is a feed: use type: feed")

// checkHTML refuses a body that is a feed or is not HTML at all.
func checkHTML(body []byte, contentType string) error {
	if kind := FeedKind(body, contentType); kind != "" {
		return fmt.Errorf("%w (%s)", ErrIsFeed, kind)
	}
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch ct {
	case "", "text/html", "application/xhtml+xml", "text/plain", "application/octet-stream":
	default:
		return fmt.Errorf("%w (content type %s)", ErrNotHTML, ct)
	}
	if sniff := http.DetectContentType(body); !strings.HasPrefix(sniff, "text/") {
		return fmt.Errorf("%w (content looks like %s)", ErrNotHTML, strings.Split(sniff, ";")[0])
	}
	return nil
}

// FeedKind reports whether body is a feed, by its content type and first
// bytes: "rss", "atom", "rdf", "json feed", or "" when it is not one.
func FeedKind(body []byte, contentType string) string {
	ct := strings.ToLower(contentType)
	head := bytes.ToLower(body[:min(len(body), 1024)])
	head = bytes.TrimLeft(head, "\ufeff \t\r\n")
	switch {
	case strings.Contains(ct, "rss"), bytes.Contains(head, []byte("<rss")):
		return "rss"
	case strings.Contains(ct, "atom"), bytes.Contains(head, []byte("<feed")) && bytes.Contains(head, []byte("atom")):
		return "atom"
	case bytes.Contains(head, []byte("<rdf:rdf")):
		return "rdf"
	case strings.Contains(ct, "feed+json"), bytes.HasPrefix(head, []byte("{")) && bytes.Contains(head, []byte("jsonfeed.org/version")):
		return "json feed"
	}
	return ""
}

// FeedLinks returns the feeds a page advertises with <link
// rel="alternate">: RSS, Atom, JSON Feed, and the application/json some
// sites declare, absolute, in page order, without repeats.
func FeedLinks(body []byte, pageURL string) []string {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	base := baseOf(doc, pageURL)
	var out []string
	doc.Find("link[href]").Each(func(_ int, s *goquery.Selection) {
		rel := " " + strings.ToLower(s.AttrOr("rel", "")) + " "
		typ := strings.ToLower(strings.TrimSpace(s.AttrOr("type", "")))
		if !strings.Contains(rel, " alternate ") {
			return
		}
		switch typ {
		case "application/rss+xml", "application/atom+xml", "application/feed+json", "application/json", "application/rdf+xml":
		default:
			return
		}
		u := feed.ParseHTTPURL(sources.ResolveRef(base, strings.TrimSpace(s.AttrOr("href", ""))))
		if u == nil {
			return
		}
		if v := u.String(); !slices.Contains(out, v) {
			out = append(out, v)
		}
	})
	return out
}

func baseOf(doc *goquery.Document, pageURL string) string {
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok && strings.TrimSpace(href) != "" {
		return sources.ResolveRef(pageURL, strings.TrimSpace(href))
	}
	return pageURL
}

// detect finds the article list of a parsed page. given are the selectors
// the configuration names: when any is given, only the page's HTML is
// read and the given ones win. Otherwise the strategies are tried in this
// order, the first that finds a list deciding:
//
//  1. json-ld: a schema.org ItemList, or a list of Article, NewsArticle,
//     BlogPosting… objects, in <script type="application/ld+json">: the
//     list the publisher declares.
//  2. microdata: three or more elements with an itemtype of an article.
//  3. html: repeated structures of headline links, scored, with
//     navigation, footers, asides, ads, tag and section links and
//     pagination left out; semantic elements (<article>, <main>, lists
//     and tables) are part of the score, not a separate strategy.
//  4. embedded-json: framework state (__NEXT_DATA__, __NUXT__, any inline
//     JSON) holding an array of objects with a title and a URL. It wins
//     over html when the HTML does not show most of its links (a page
//     rendered in the browser, whose HTML holds only its chrome).
//
// Page.parse then asks a WordPress REST API the page links to (5), when
// none of these found anything.
func detect(doc *goquery.Document, base, pageURL string, given Selectors) (Detection, []feed.Article) {
	if given.any() {
		d := Detection{Strategy: StrategyHTML, Tried: []string{StrategyHTML}}
		sel := given
		if sel.Item == "" {
			found, ok := domDetect(doc, base, pageURL)
			if !ok {
				return d, nil
			}
			sel.Item = found.Item
		}
		if !sel.complete() || sel.Date == "" || sel.Summary == "" {
			if items := matchItems(doc, sel.Item); len(items) > 0 {
				sel = sel.merge(detectInItems(items, base, pageURL))
			}
		}
		d.Selectors = sel
		return d, nil
	}
	var tried []string
	tried = append(tried, StrategyJSONLD)
	if path, arts := jsonLD(doc, base); len(arts) > 0 {
		// A declared list that is a few of the page's list (its top
		// stories) gives way to the whole.
		if sel, ok := htmlList(doc, base, pageURL); ok && covers(doc, base, sel, arts) {
			return Detection{Strategy: StrategyHTML, Selectors: sel, Tried: append(tried, StrategyHTML)}, nil
		}
		return Detection{Strategy: StrategyJSONLD, Path: path, Tried: tried}, arts
	}
	tried = append(tried, StrategyMicrodata)
	if item := microdata(doc); item != "" {
		if items := matchItems(doc, item); len(items) >= 3 {
			sel := Selectors{Item: item}.merge(detectInItems(items, base, pageURL))
			if sel.Title != "" && sel.Link != "" {
				return Detection{Strategy: StrategyMicrodata, Selectors: sel, Tried: tried}, nil
			}
		}
	}
	tried = append(tried, StrategyHTML, StrategyState)
	statePath, stateArts := embeddedJSON(doc, base)
	if sel, ok := htmlList(doc, base, pageURL); ok && !hiddenList(doc, base, stateArts) {
		return Detection{Strategy: StrategyHTML, Selectors: sel, Tried: tried}, nil
	}
	if len(stateArts) > 0 {
		return Detection{Strategy: StrategyState, Path: statePath, Tried: tried}, stateArts
	}
	return Detection{Tried: tried}, nil
}

// htmlList is the html strategy: the selectors of the list and of what
// is inside its items.
func htmlList(doc *goquery.Document, base, pageURL string) (Selectors, bool) {
	found, ok := domDetect(doc, base, pageURL)
	if !ok {
		return Selectors{}, false
	}
	items := matchItems(doc, found.Item)
	if len(items) == 0 {
		return Selectors{}, false
	}
	sel := found.merge(detectInItems(items, base, pageURL))
	return sel, sel.Title != "" && sel.Link != ""
}

// covers reports whether the HTML list sel holds most of arts' links
// and half as many again.
func covers(doc *goquery.Document, base string, sel Selectors, arts []feed.Article) bool {
	c, err := compile(sel)
	if err != nil {
		return false
	}
	links := map[string]bool{}
	doc.FindMatcher(c.item).Each(func(_ int, item *goquery.Selection) {
		if href, ok := find(item, c.link).Attr("href"); ok {
			links[feed.CanonicalURL(sources.ResolveRef(base, strings.TrimSpace(href)))] = true
		}
	})
	in := 0
	for _, a := range arts {
		if links[feed.CanonicalURL(a.URL)] {
			in++
		}
	}
	return len(links)*2 >= len(arts)*3 && in*5 >= len(arts)*4
}

// hiddenList reports whether most of arts' links are not links of the
// page's HTML: the list is rendered in the browser.
func hiddenList(doc *goquery.Document, base string, arts []feed.Article) bool {
	if len(arts) < 3 {
		return false
	}
	shown := map[string]bool{}
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		shown[feed.CanonicalURL(sources.ResolveRef(base, strings.TrimSpace(s.AttrOr("href", ""))))] = true
	})
	n := 0
	for _, a := range arts {
		if shown[feed.CanonicalURL(a.URL)] {
			n++
		}
	}
	return n*2 < len(arts)
}

func matchItems(doc *goquery.Document, item string) []*html.Node {
	sel, err := cascadia.Compile(item)
	if err != nil {
		return nil
	}
	return doc.FindMatcher(sel).Nodes
}

// articleTypes are the schema.org types of an article.
var articleTypes = []string{"Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle",
	"TechArticle", "AnalysisNewsArticle", "OpinionNewsArticle", "ReportageNewsArticle", "ReviewNewsArticle",
	"LiveBlogPosting", "VideoObject", "Episode", "PodcastEpisode", "CreativeWork", "SocialMediaPosting", "Review", "Recipe"}

// microdata returns a selector of the page's article microdata items,
// when it has three or more of one type.
func microdata(doc *goquery.Document) string {
	counts := map[string]int{}
	var order []string
	doc.Find("[itemscope][itemtype]").Each(func(_ int, s *goquery.Selection) {
		t := strings.TrimSpace(s.AttrOr("itemtype", ""))
		name := t[strings.LastIndexAny(t, "/#")+1:]
		if !slices.Contains(articleTypes, name) || !plainIdent(name) {
			return
		}
		if counts[name] == 0 {
			order = append(order, name)
		}
		counts[name]++
	})
	for _, name := range order {
		if counts[name] >= 3 {
			return fmt.Sprintf(`[itemtype$="/%s"]`, name)
		}
	}
	return ""
}
