package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	readability "codeberg.org/readeck/go-readability/v2"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxElements caps the elements of a page that is extracted. Both
// extractors walk the tree many times and hold copies of it, trafilatura
// in more than linear time (a 9 MB page of 80,000 paragraphs took minutes
// and 2 GB); real article pages have a few thousand elements (the largest
// of the 303 benchmark pages, 1 MB, has 9,900).
const maxElements = 25_000

// ErrNothing means the page has no article text that could be found.
var ErrNothing = errors.New("no article text found")

// ErrTooLarge means the page is over maxElements.
var ErrTooLarge = errors.New("page too large to extract")

// Options are what the caller knows of a page.
type Options struct {
	// URL is where the page was read from, or nil for a saved page:
	// relative links are resolved against it.
	URL *url.URL
	// Trailers cut the end-of-article chrome; nil cuts none.
	Trailers *Trailers
	// ParseDate is the caller's rule for the page's dates; a value it
	// refuses is ignored. Nil leaves the dates zero.
	ParseDate func(string) (time.Time, error)
}

// Result is the article of a page: its content as an HTML fragment and
// the metadata the page declares. Fields the page does not give are
// empty.
type Result struct {
	Title     string
	Author    string // a name
	AuthorURL string // an author given as a URL
	URL       string // canonical, absolute
	Summary   string
	Image     string // the lead image, absolute
	Tags      []string
	Published time.Time
	Modified  time.Time
	Content   string
}

// Extract reads page, HTML in UTF-8, and returns its article: the main
// content without the site around it (navigation, share and follow
// widgets, related and most-read lists, newsletter boxes, comments,
// author bios), and its metadata. It returns ctx's error when ctx is done
// first; a reader that fails (as a bounded one does) fails the parse.
//
// The content is readability's (codeberg.org/readeck/go-readability),
// with every run of text that trafilatura
// (github.com/markusmobius/go-trafilatura), asked independently, does not
// also find dropped: readability rarely misses article text but keeps
// whole containers with the clutter inside them, trafilatura is stricter
// and sometimes misses. README: Article extraction has the measurements.
// A page where neither finds an article falls back to its first
// <article>, <main> or <body>, cleaned.
func Extract(ctx context.Context, r io.Reader, opts Options) (Result, error) {
	doc, err := html.Parse(ctxReader{ctx, r})
	if err != nil {
		return Result{}, fmt.Errorf("parsing page: %w", err)
	}
	if n := countElements(doc, maxElements); n > maxElements {
		return Result{}, fmt.Errorf("%w: over %d elements", ErrTooLarge, maxElements)
	}
	p := newPage(doc)
	var res Result
	res.Title = p.title()
	p.metadata(&res, opts.ParseDate)
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	// Widgets are known by their class names and ids, which readability
	// drops: they go before it reads the page.
	strip(doc, widget)
	dropOtherArticles(doc, res.Title)
	content := mainContent(ctx, doc, p, opts.URL, opts.Trailers)
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if content == nil {
		return res, ErrNothing
	}
	stripUnwanted(content)
	dropTitleHeading(content, res.Title)
	cutTrailerHTML(content, opts.Trailers)
	res.Content = renderChildren(unwrap(content))
	if res.Content == "" {
		return res, ErrNothing
	}
	return res, nil
}

// mainContent returns the element holding the article, detached from
// doc, or nil.
func mainContent(ctx context.Context, doc *html.Node, p page, u *url.URL, trailers *Trailers) *html.Node {
	base := u
	if base == nil {
		base = &url.URL{}
	}
	// FromDocument works on a copy: trafilatura reads doc afterwards.
	art, err := readability.FromDocument(doc, base)
	if err != nil || art.Node == nil || ctx.Err() != nil {
		art.Node = nil
	}
	if art.Node != nil && len(nodeText(art.Node, maxVoteText)) > maxVoteText {
		// Too long to ask a second opinion: trafilatura's time and
		// memory grow with the square of the text.
		return art.Node
	}
	tr, err := trafilatura.ExtractDocument(doc, trafilatura.Options{
		OriginalURL: u, ExcludeComments: true, IncludeImages: true,
		// Dates come from metadata, read by Herald's own rule.
		HtmlDateMode: trafilatura.Disabled,
	})
	if err != nil {
		tr = nil
	}
	switch {
	case art.Node != nil && tr != nil && tr.ContentNode != nil:
		// Trailers first: the vote would take a "Related" heading and
		// leave the list under it.
		cutTrailerHTML(art.Node, trailers)
		vote(art.Node, tr.ContentText)
		pruneBlank(art.Node)
		return art.Node
	case art.Node != nil:
		return art.Node
	case tr != nil && tr.ContentNode != nil && strings.TrimSpace(tr.ContentText) != "":
		return tr.ContentNode
	}
	if p.root.Length() == 0 {
		return nil
	}
	n := p.root.Get(0)
	if n.Parent != nil {
		n.Parent.RemoveChild(n)
	}
	return n
}

// maxVoteText is the most text, in bytes, that readability may find for
// trafilatura to be asked as well: 500 KB of text took trafilatura 0.4 s
// and 120 MB. The longest of 181 benchmark articles has 53 KB, the median
// 3 KB.
const maxVoteText = 128 << 10

// voteMin is how much of readability's text the second opinion must
// hold, in words, to be asked at all: below it the two disagree on what
// the article is, and readability, which rarely misses, is trusted.
const voteMin = 0.5

// voteMinWords is the fewest words of the second opinion that are asked:
// on a page of a few lines it tends to find the title, not the text.
const voteMinWords = 25

// vote drops from root the runs of text (the inline content between two
// blocks) that a second extractor, whose text is other, did not find to
// be the article: readability keeps whole containers, with the related
// links and share lines inside them. A run is kept when at least half of
// its word 4-grams are in other; a run under four words when it is in
// other as a whole.
func vote(root *html.Node, other string) {
	otherToks := tokens(other)
	if len(otherToks) < voteMinWords || float64(len(otherToks)) < voteMin*float64(len(tokens(nodeText(root, -1)))) {
		return
	}
	set := make(map[string]bool, len(otherToks))
	for i := range otherToks {
		set[gram(otherToks, i)] = true
	}
	joined := " " + strings.Join(otherToks, " ") + " "
	judge := func(run []*html.Node) bool {
		var b strings.Builder
		for _, n := range run {
			if n.Type == html.TextNode {
				b.WriteString(n.Data)
			} else {
				b.WriteString(nodeText(n, -1))
			}
			b.WriteByte(' ')
		}
		toks := tokens(b.String())
		switch {
		case len(toks) == 0:
			return true
		case len(toks) < 4:
			return strings.Contains(joined, " "+strings.Join(toks, " ")+" ")
		}
		hit := 0
		for i := 0; i+3 < len(toks); i++ {
			if set[gram(toks, i)] {
				hit++
			}
		}
		return 2*hit >= len(toks)-3
	}
	var drop []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		var run []*html.Node
		flush := func() {
			if len(run) > 0 && !judge(run) {
				drop = append(drop, run...)
			}
			run = nil
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				run = append(run, c)
			case c.Type != html.ElementNode:
			case c.DataAtom == atom.Figcaption && len(tokens(nodeText(c, 1024))) <= maxCaptionWords && !creditRE.MatchString(nodeText(c, 1024)):
				// A figure's caption is kept with its figure, though
				// trafilatura leaves captions out; a long one, or a
				// credit, is judged: on news pages those are agency
				// photo descriptions repeated for every image of a
				// gallery.
				flush()
			case blockElems[c.DataAtom]:
				flush()
				walk(c)
			default:
				run = append(run, c)
			}
		}
		flush()
	}
	walk(root)
	for _, n := range drop {
		n.Parent.RemoveChild(n)
	}
}

// pruneBlank removes the elements under root left with neither text nor
// media.
func pruneBlank(root *html.Node) {
	for c := root.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.ElementNode && !mediaElems[c.DataAtom] && c.DataAtom != atom.Br && c.DataAtom != atom.Hr {
			if isBlank(c) {
				root.RemoveChild(c)
			} else {
				pruneBlank(c)
			}
		}
		c = next
	}
}

// maxCaptionWords is the longest figure caption, in words, kept without
// the vote.
const maxCaptionWords = 20

// creditRE matches a caption that only credits the picture.
var creditRE = regexp.MustCompile(`(?i)^\W*(?:(?:photo|image|picture|illustration|credit|source|foto)s?\b|\(?(?:getty|reuters|ap|afp|associated press|shutterstock|alamy|epa)\b)`)

// gram is the word 4-gram of toks starting at i (shorter at the end).
func gram(toks []string, i int) string {
	return strings.Join(toks[i:min(i+4, len(toks))], " ")
}

// tokens are the words of s, lower-cased: letters and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// dropOtherArticles removes, when the page's first <h1> is its title and
// is in an <article>, the other <article> elements that neither hold that one nor
// sit inside it: teasers of other stories, the next posts of an archive
// or an endless page. Comments marked up as <article> inside the main
// one stay for the other rules.
func dropOtherArticles(doc *html.Node, title string) {
	h1 := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.H1 })
	if h1 == nil || title == "" {
		return
	}
	// A site's h1 may head a featured story, not the page's.
	h := strings.Join(tokens(nodeText(h1, 1024)), " ")
	if h == "" || !strings.Contains(" "+strings.Join(tokens(title), " ")+" ", " "+h+" ") {
		return
	}
	// The outermost: a story's header is often an <article> of its own
	// inside the story's.
	var main *html.Node
	for n := h1; n != nil; n = n.Parent {
		if n.Type == html.ElementNode && n.DataAtom == atom.Article {
			main = n
		}
	}
	if main == nil {
		return
	}
	related := func(n *html.Node) bool {
		for m := n; m != nil; m = m.Parent {
			if m == main {
				return true
			}
		}
		for m := main; m != nil; m = m.Parent {
			if m == n {
				return true
			}
		}
		return false
	}
	strip(doc, func(n *html.Node) bool {
		return n.Type == html.ElementNode && n.DataAtom == atom.Article && !related(n)
	})
}

// find returns the first element under n, in document order, for which
// match is true, or nil.
func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && match(c) {
			return c
		}
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

// ctxReader reads r until ctx is done: golang.org/x/net/html reads its
// input as it parses, 4 KiB at a time here, so a parse past its time or
// cancelled stops within a chunk.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p[:min(len(p), 4096)])
}

// countElements counts the elements under n, stopping past limit.
func countElements(n *html.Node, limit int) int {
	count := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && count <= limit; c = c.NextSibling {
			if c.Type == html.ElementNode {
				count++
			}
			walk(c)
		}
	}
	walk(n)
	return count
}

// unwrap returns the innermost of the containers that hold nothing but
// one another (readability's `<div id="readability-page-1">`, then often
// the page's own <article> or a bare <div>): a feed item's content is the
// article's blocks, and those wrappers only carry the page's ids and
// classes.
func unwrap(n *html.Node) *html.Node {
	for {
		var only *html.Node
		count := 0
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode && strings.TrimSpace(c.Data) == "" {
				continue
			}
			only = c
			count++
		}
		if count != 1 || only.Type != html.ElementNode {
			return n
		}
		switch only.DataAtom {
		case atom.Div, atom.Article, atom.Main, atom.Section, atom.Body:
		default:
			return n
		}
		n = only
	}
}
