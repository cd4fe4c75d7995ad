package webpage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
)

// Config configures a source of type page: an HTML page whose items
// are found with CSS selectors.
type Config struct {
	Name string
	URL  string
	// Item selects each item's element. Item, Title, Link, Date and
	// Summary are each optional: one left out is detected (see detect).
	Item string
	// Title selects, inside an item (or the item itself), the element
	// whose text is the title.
	Title string
	// Link selects, inside an item (or the item itself), the element whose
	// href is the link.
	Link string
	// Date selects the element holding the date: its datetime attribute,
	// else its text. Optional; undated items get the time first seen.
	Date string
	// Summary selects the element whose inner HTML is the item's content.
	// Optional.
	Summary string
	// DateFormats are Go time layouts tried before the built-in ones;
	// needed for ambiguous numeric dates like "02/01/2006".
	DateFormats []string
	// Timezone is the zone of dates written without one; UTC when nil.
	Timezone *time.Location
	// FullText replaces each item's content with the main content of its
	// linked page (package extract).
	FullText bool
	// Trailers are extra trailer patterns (config key `trailers`), added
	// to extract.DefaultTrailers.
	Trailers []string
	// Raw leaves items' content as the page gives it (config `clean:
	// false`); by default boilerplate is removed (extract.Clean).
	Raw bool
}

// Page collects items from an HTML page with CSS selectors, detecting
// those the configuration leaves out (see detect).
type Page struct {
	cfg      Config
	fetch    *sources.Fetcher
	log      *slog.Logger
	trailers *extract.Trailers // nil when cfg.Raw

	given Selectors
	// sel are the compiled given selectors when they are complete, so no
	// detection runs.
	sel *compiled

	// Now is the clock; tests replace it.
	Now func() time.Time
}

// compiled are the selectors an extraction reads items with.
type compiled struct {
	src                              Selectors
	item, title, link, date, summary cascadia.Selector
}

func compile(s Selectors) (*compiled, error) {
	c := &compiled{src: s}
	for _, f := range []struct {
		field, sel string
		dst        *cascadia.Selector
	}{
		{"item", s.Item, &c.item},
		{"title", s.Title, &c.title},
		{"link", s.Link, &c.link},
		{"date", s.Date, &c.date},
		{"summary", s.Summary, &c.summary},
	} {
		if strings.TrimSpace(f.sel) == "" {
			continue
		}
		sel, err := cascadia.Compile(f.sel)
		if err != nil {
			return nil, fmt.Errorf("%s selector %q: %w", f.field, f.sel, err)
		}
		*f.dst = sel
	}
	return c, nil
}

var _ sources.Source = (*Page)(nil)

// New returns a page source fetching through f. It fails when a
// selector does not compile, naming the field.
func New(cfg Config, f *sources.Fetcher, log *slog.Logger) (*Page, error) {
	w := sources.WebSpec{Kind: "page", Name: cfg.Name, URL: cfg.URL, Fetcher: f, Timezone: cfg.Timezone, Log: log}
	if err := w.Check(); err != nil {
		return nil, err
	}
	cfg.Timezone, log = w.Timezone, w.Log
	given := Selectors{Item: strings.TrimSpace(cfg.Item), Title: strings.TrimSpace(cfg.Title), Link: strings.TrimSpace(cfg.Link),
		Date: strings.TrimSpace(cfg.Date), Summary: strings.TrimSpace(cfg.Summary)}
	c, err := compile(given)
	if err != nil {
		return nil, fmt.Errorf("page source %s: %w", cfg.Name, err)
	}
	p := &Page{cfg: cfg, fetch: f, log: log, given: given, Now: time.Now}
	if given.complete() {
		p.sel = c
	}
	if !cfg.Raw {
		tr, err := extract.NewTrailers(cfg.Trailers)
		if err != nil {
			return nil, fmt.Errorf("page source %s: %w", cfg.Name, err)
		}
		p.trailers = tr
	}
	return p, nil
}

// Name returns the configured name.
func (p *Page) Name() string { return p.cfg.Name }

// Collect fetches the page and extracts its items. A page where nothing
// usable is found fails with sources.ErrNoItems rather than succeeding
// empty: that is how a changed layout shows, and the last good items
// stay. Failures return no articles, as Feed.Collect does. Detection runs
// again at every collection, so it follows the page's changes; the first
// collection logs what it found at info level, later ones at debug.
func (p *Page) Collect(ctx context.Context, prev sources.State) (sources.Result, error) {
	return p.fetch.Poll(ctx, p.cfg.URL, prev, p.Now, p.log, func(ctx context.Context, r *sources.Response, next *sources.State) ([]feed.Article, error) {
		arts, _, err := p.parse(ctx, r, next)
		return arts, err
	})
}

// Inspect fetches the page once and returns what Collect would return
// and how its list was found, for herald add. It keeps no state.
func (p *Page) Inspect(ctx context.Context) (Detection, []feed.Article, error) {
	var det Detection
	res, err := p.fetch.Poll(ctx, p.cfg.URL, sources.State{}, p.Now, p.log, func(ctx context.Context, r *sources.Response, next *sources.State) ([]feed.Article, error) {
		arts, d, err := p.parse(ctx, r, next)
		det = d
		return arts, err
	})
	return det, res.Articles, err
}

// noListError is the failure of detection: nothing found, and what was
// tried.
type noListError struct{ tried []string }

func (e noListError) Error() string {
	return "no article list found on the page (tried " + strings.Join(e.tried, ", ") + ")"
}

// Is makes the error a sources.ErrNoItems, as a layout change is.
func (e noListError) Is(target error) bool { return target == sources.ErrNoItems }

func (p *Page) parse(ctx context.Context, r *sources.Response, next *sources.State) ([]feed.Article, Detection, error) {
	body := sources.ToUTF8(r.Body, r.Header.Get("Content-Type"), sources.KindHTML)
	ex, err := p.extract(body, r.URL, r.Header.Get("Content-Type"))
	if err != nil && errors.Is(err, sources.ErrNoItems) && ex.wordpress != "" {
		// The page's HTML holds no list (a theme that renders in the
		// browser): ask its WordPress API. Its URL is content, fetched
		// under the rules of content.
		ex.det.Tried = append(ex.det.Tried, StrategyWordPress)
		resp, ferr := p.fetch.GetFrom(ctx, ex.wordpress, p.cfg.URL)
		if ferr == nil {
			if arts, perr := parseWordPress(resp.Body, resp.URL); perr == nil && len(arts) > 0 {
				ex.articles, err = p.stamp(arts, r.URL), nil
				ex.det.Strategy, ex.det.Path = StrategyWordPress, p.fetch.URL(ex.wordpress)
			}
		}
		if err != nil {
			err = noListError{ex.det.Tried}
		}
	}
	if err != nil {
		return nil, ex.det, err
	}
	if ex.det.Strategy != StrategySelectors {
		lv := slog.LevelDebug
		if len(next.FirstSeen) == 0 {
			lv = slog.LevelInfo
		}
		p.log.Log(ctx, lv, "detected article list", "strategy", ex.det.Strategy, "found", ex.det.Found(), "count", len(ex.articles))
	}
	if ex.skipped > 0 {
		p.log.Info("skipped items without title or link", "count", ex.skipped)
	}
	if !p.cfg.Raw {
		extract.CleanArticles(ex.articles, p.trailers)
	}
	if p.cfg.FullText {
		next.FullText, next.FullTextMeta = p.fetch.FullText(ctx, ex.articles, next.FullText, next.FullTextMeta, p.cfg.URL, p.trailers, p.log)
	}
	return ex.articles, ex.det, nil
}

// extraction is what extract found.
type extraction struct {
	articles []feed.Article
	skipped  int
	det      Detection
	// wordpress is the posts URL of the WordPress API the page links to,
	// asked when nothing else was found.
	wordpress string
}

// extract reads the items of an HTML document fetched from pageURL,
// detecting the selectors not given. It does no I/O, so the fuzzer drives
// it directly.
func (p *Page) extract(body []byte, pageURL, contentType string) (extraction, error) {
	var ex extraction
	if p.sel == nil {
		if err := checkHTML(body, contentType); err != nil {
			return ex, err
		}
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return ex, fmt.Errorf("parsing html: %w", err)
	}
	base := baseOf(doc, pageURL)
	sel := p.sel
	if sel == nil {
		det, arts := detect(doc, base, pageURL, p.given)
		ex.det = det
		if len(arts) > 0 {
			ex.articles = p.stamp(arts, pageURL)
			return ex, nil
		}
		if det.Selectors.Item == "" || det.Selectors.Title == "" || det.Selectors.Link == "" {
			if !p.given.any() {
				ex.wordpress = wordPressPosts(doc, base)
			}
			return ex, noListError{det.Tried}
		}
		if sel, err = compile(det.Selectors); err != nil {
			// Detected selectors are built to compile; one that does not
			// is a bug, reported as the source's failure.
			return ex, fmt.Errorf("detected %w", err)
		}
	} else {
		ex.det = Detection{Strategy: StrategySelectors, Selectors: p.given}
	}
	items := doc.FindMatcher(sel.item)
	seen := map[string]bool{}
	items.Each(func(_ int, item *goquery.Selection) {
		a, ok := p.article(sel, item, base, pageURL)
		if !ok {
			ex.skipped++
			return
		}
		if p.sel == nil {
			// Detected lists repeat a story (a lead also among the
			// teasers) once.
			if seen[a.ID] {
				return
			}
			seen[a.ID] = true
		}
		ex.articles = append(ex.articles, a)
	})
	if len(ex.articles) == 0 {
		if p.sel == nil {
			return ex, noListError{ex.det.Tried}
		}
		return ex, fmt.Errorf("%w (item %q: %d matches, none with a title and a link)",
			sources.ErrNoItems, p.cfg.Item, items.Length())
	}
	return ex, nil
}

// stamp gives articles read from JSON their ID, base and source.
func (p *Page) stamp(arts []feed.Article, pageURL string) []feed.Article {
	for i := range arts {
		arts[i].ID = feed.CanonicalURL(arts[i].URL)
		arts[i].Base = pageURL
		arts[i].Source = p.cfg.Name
	}
	return arts
}

func (p *Page) article(sel *compiled, item *goquery.Selection, base, pageURL string) (feed.Article, bool) {
	href, _ := find(item, sel.link).Attr("href")
	href = strings.TrimSpace(href)
	title := feed.CollapseSpace(find(item, sel.title).Text())
	if href == "" || title == "" || strings.HasPrefix(strings.ToLower(href), "javascript:") {
		return feed.Article{}, false
	}
	a := feed.Article{
		Title:  title,
		URL:    sources.ResolveRef(base, href),
		Base:   pageURL,
		Source: p.cfg.Name,
	}
	a.ID = feed.CanonicalURL(a.URL)
	if sel.summary != nil {
		if html, err := find(item, sel.summary).Html(); err == nil {
			a.Content = strings.TrimSpace(html)
		}
	}
	if sel.date != nil {
		ds := find(item, sel.date)
		raw, ok := ds.Attr("datetime")
		if !ok || strings.TrimSpace(raw) == "" {
			raw = ds.Text()
		}
		if raw = feed.CollapseSpace(raw); raw != "" {
			t, err := sources.ParseDate(raw, p.cfg.Timezone, p.cfg.DateFormats...)
			if err != nil {
				p.log.Warn("unreadable date, using first seen", "article_id", a.ID, "error", err)
			} else {
				a.Published = t
			}
		}
	}
	return a, true
}

// find returns the first match of sel inside item, item itself included
// (so an item selector can point straight at the link or title).
func find(item *goquery.Selection, sel cascadia.Selector) *goquery.Selection {
	if sel == nil || item.Length() == 0 {
		return item.Slice(0, 0)
	}
	// cascadia.Query stops at the first match, in document order, where
	// FindMatcher would collect them all: one item of a page of
	// thousands.
	if m := firstMatch(item.Nodes[0], sel); m != nil {
		return &goquery.Selection{Nodes: []*html.Node{m}}
	}
	return item.Slice(0, 0)
}
