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

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
)

// Config configures a source of type page: an HTML page whose items
// are found with CSS selectors.
type Config struct {
	Name string
	URL  string
	// Item selects each item's element; required.
	Item string
	// Title selects, inside an item (or the item itself), the element
	// whose text is the title; required, as the config key title is.
	Title string
	// Link selects, inside an item (or the item itself), the element whose
	// href is the link; required, as the config key link is.
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

// Page collects items from an HTML page with CSS selectors.
type Page struct {
	cfg      Config
	fetch    *sources.Fetcher
	log      *slog.Logger
	trailers *extract.Trailers // nil when cfg.Raw

	item, title, link, date, summary cascadia.Selector

	// Now is the clock; tests replace it.
	Now func() time.Time
}

var _ sources.Source = (*Page)(nil)

// New returns a page source fetching through f. It fails when a
// selector does not compile, naming the field.
func New(cfg Config, f *sources.Fetcher, log *slog.Logger) (*Page, error) {
	if cfg.Name == "" {
		return nil, errors.New("page source: name is required")
	}
	if feed.ParseHTTPURL(cfg.URL) == nil {
		return nil, fmt.Errorf("page source %s: url %q: want an absolute http or https URL", cfg.Name, sources.RedactURL(cfg.URL))
	}
	if f == nil {
		return nil, fmt.Errorf("page source %s: fetcher is required", cfg.Name)
	}
	for _, req := range []struct{ field, sel string }{{"item", cfg.Item}, {"title", cfg.Title}, {"link", cfg.Link}} {
		if strings.TrimSpace(req.sel) == "" {
			return nil, fmt.Errorf("page source %s: %s selector is required", cfg.Name, req.field)
		}
	}
	if cfg.Timezone == nil {
		cfg.Timezone = time.UTC
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Page{cfg: cfg, fetch: f, log: log, Now: time.Now}
	if !cfg.Raw {
		tr, err := extract.NewTrailers(cfg.Trailers)
		if err != nil {
			return nil, fmt.Errorf("page source %s: %w", cfg.Name, err)
		}
		p.trailers = tr
	}
	for _, s := range []struct {
		field, sel string
		dst        *cascadia.Selector
	}{
		{"item", cfg.Item, &p.item},
		{"title", cfg.Title, &p.title},
		{"link", cfg.Link, &p.link},
		{"date", cfg.Date, &p.date},
		{"summary", cfg.Summary, &p.summary},
	} {
		if strings.TrimSpace(s.sel) == "" {
			continue
		}
		sel, err := cascadia.Compile(s.sel)
		if err != nil {
			return nil, fmt.Errorf("page source %s: %s selector %q: %w", cfg.Name, s.field, s.sel, err)
		}
		*s.dst = sel
	}
	return p, nil
}

// Name returns the configured name.
func (p *Page) Name() string { return p.cfg.Name }

// Collect fetches the page and extracts its items. A page whose item
// selector matches nothing usable fails with sources.ErrNoItems rather than
// succeeding empty: that is how a changed layout shows. Failures return
// no articles, as Feed.Collect does.
func (p *Page) Collect(ctx context.Context, prev sources.State) (sources.Result, error) {
	return p.fetch.Poll(ctx, p.cfg.URL, prev, p.Now, p.log, p.parse)
}

func (p *Page) parse(ctx context.Context, r *sources.Response, next *sources.State) ([]feed.Article, error) {
	body := sources.ToUTF8(r.Body, r.Header.Get("Content-Type"), sources.KindHTML)
	articles, skipped, err := p.extract(body, r.URL)
	if err != nil {
		return nil, err
	}
	if skipped > 0 {
		p.log.Info("skipped items without title or link", "count", skipped)
	}
	if !p.cfg.Raw {
		extract.CleanArticles(articles, p.trailers)
	}
	if p.cfg.FullText {
		next.FullText, next.FullTextMeta = p.fetch.FullText(ctx, articles, next.FullText, next.FullTextMeta, p.cfg.URL, p.trailers, p.log)
	}
	return articles, nil
}

// extract reads the items of an HTML document fetched from pageURL. It
// does no I/O, so the fuzzer drives it directly.
func (p *Page) extract(body []byte, pageURL string) (articles []feed.Article, skipped int, err error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("parsing html: %w", err)
	}
	base := pageURL
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok && strings.TrimSpace(href) != "" {
		base = sources.ResolveRef(pageURL, strings.TrimSpace(href))
	}
	items := doc.FindMatcher(p.item)
	items.Each(func(_ int, item *goquery.Selection) {
		a, ok := p.article(item, base, pageURL)
		if !ok {
			skipped++
			return
		}
		articles = append(articles, a)
	})
	if len(articles) == 0 {
		return nil, skipped, fmt.Errorf("%w (item %q: %d matches, none with a title and a link)",
			sources.ErrNoItems, p.cfg.Item, items.Length())
	}
	return articles, skipped, nil
}

func (p *Page) article(item *goquery.Selection, base, pageURL string) (feed.Article, bool) {
	href, _ := p.find(item, p.link).Attr("href")
	href = strings.TrimSpace(href)
	title := feed.CollapseSpace(p.find(item, p.title).Text())
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
	if p.summary != nil {
		if html, err := p.find(item, p.summary).Html(); err == nil {
			a.Content = strings.TrimSpace(html)
		}
	}
	if p.date != nil {
		ds := p.find(item, p.date)
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
func (p *Page) find(item *goquery.Selection, sel cascadia.Selector) *goquery.Selection {
	if sel == nil {
		return item.Slice(0, 0)
	}
	if m := item.FindMatcher(sel); m.Length() > 0 {
		return m.First()
	}
	return item.FilterMatcher(sel).First()
}
