package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	stdhtml "html"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
)

// Config configures a source of type feed: an upstream RSS, Atom or
// JSON Feed document.
type Config struct {
	Name string
	URL  string
	// Timezone is the zone of upstream dates written without one; UTC
	// when nil.
	Timezone *time.Location
	// FullText replaces each item's content with the main content of its
	// linked page (package extract).
	FullText bool
	// Trailers are extra trailer patterns (config key `trailers`), added
	// to extract.DefaultTrailers.
	Trailers []string
	// Raw leaves items' content as upstream gives it (config `clean:
	// false`); by default boilerplate is removed (extract.Clean).
	Raw bool
}

// Feed collects the items of an upstream RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or
// JSON Feed 1.0/1.1 document.
type Feed struct {
	cfg      Config
	fetch    *sources.Fetcher
	log      *slog.Logger
	trailers *extract.Trailers // nil when cfg.Raw

	// Now is the clock; tests replace it.
	Now func() time.Time
}

var _ sources.Source = (*Feed)(nil)

// New returns a feed source fetching through f.
func New(cfg Config, f *sources.Fetcher, log *slog.Logger) (*Feed, error) {
	w := sources.WebSpec{Kind: "feed", Name: cfg.Name, URL: cfg.URL, Fetcher: f, Timezone: cfg.Timezone, Log: log}
	if err := w.Check(); err != nil {
		return nil, err
	}
	cfg.Timezone, log = w.Timezone, w.Log
	tr, err := sourceTrailers(cfg.Trailers, cfg.Raw)
	if err != nil {
		return nil, fmt.Errorf("feed source %s: %w", cfg.Name, err)
	}
	return &Feed{cfg: cfg, fetch: f, log: log, trailers: tr, Now: time.Now}, nil
}

// sourceTrailers compiles a source's trailers, or returns nil for a raw
// source.
func sourceTrailers(extra []string, raw bool) (*extract.Trailers, error) {
	if raw {
		return nil, nil
	}
	return extract.NewTrailers(extra)
}

// Name returns the configured name.
func (s *Feed) Name() string { return s.cfg.Name }

// Collect fetches and parses the feed, conditionally with prev's
// validators (see sources.Fetcher.Poll: backoff, 304, failures).
func (s *Feed) Collect(ctx context.Context, prev sources.State) (sources.Result, error) {
	return s.fetch.Poll(ctx, s.cfg.URL, prev, s.Now, s.log, s.parse)
}

func (s *Feed) parse(ctx context.Context, r *sources.Response, next *sources.State) ([]feed.Article, error) {
	articles, err := s.articles(ctx, r)
	if err != nil {
		return nil, err
	}
	if !s.cfg.Raw {
		extract.CleanArticles(articles, s.trailers)
	}
	if s.cfg.FullText {
		next.FullText, next.FullTextMeta = s.fetch.FullText(ctx, articles, next.FullText, next.FullTextMeta, s.cfg.URL, s.trailers, s.log)
	}
	return articles, nil
}

// articles parses the body within the process-wide parse budget, which
// is given back before any full-text page is fetched.
func (s *Feed) articles(ctx context.Context, r *sources.Response) ([]feed.Article, error) {
	release, err := parseBudget.Acquire(ctx, int64(len(r.Body)))
	if err != nil {
		return nil, err
	}
	defer release()
	items, err := upstreamItems(ctx, r.Body, r.Header.Get("Content-Type"), r.URL, s.log)
	if err != nil {
		return nil, err
	}
	// Atom's xml:base is applied by gofeed; anything still relative is
	// resolved against the URL the feed was fetched from.
	base := r.URL
	articles := make([]feed.Article, 0, len(items))
	for _, it := range items {
		articles = append(articles, s.article(it, base, r.URL))
	}
	s.distinctIDs(articles)
	return articles, nil
}

// distinctIDs keeps items an upstream gave one ID apart when they differ.
//
// Some generators write the same guid on every item: every item of such
// an ID takes its link as ID, what identifies an item without an ID of
// its own; all of them, so the IDs do not depend on the items' order.
//
// Items without a guid but with one link (a day page of short posts, a
// show's page in every episode) would then share the link as ID and be
// deduped into one: where a link-derived ID repeats for items that
// differ, each takes a hash of its link and text, and of its dates too
// when only those differ. Items equal in all of that stay one. A link
// that does not repeat keeps the link as ID, as before, so a store's
// IDs do not change for the common case.
func (s *Feed) distinctIDs(articles []feed.Article) {
	links := make(map[string]map[string]bool, len(articles)) // ID → its items' links
	for _, a := range articles {
		if a.URL == "" {
			continue
		}
		if links[a.ID] == nil {
			links[a.ID] = map[string]bool{}
		}
		links[a.ID][a.URL] = true
	}
	warned := map[string]bool{}
	for i := range articles {
		a := &articles[i]
		n := len(links[a.ID])
		if a.URL == "" || n < 2 {
			continue
		}
		if !warned[a.ID] {
			warned[a.ID] = true
			s.log.Warn("upstream repeats an item id for different items, using their links", "article_id", a.ID, "count", n)
		}
		a.ID = feed.CanonicalURL(a.URL)
	}
	s.distinctLinks(articles)
}

// distinctLinks is distinctIDs' second step: link-derived IDs that
// repeat for different items become hashes of the link and the text,
// then of the dates where the text is the same too.
func (s *Feed) distinctLinks(articles []feed.Article) {
	// An ID equal to the item's canonical link was derived from it (or is
	// a permalink guid, which is the same thing).
	byLink := map[string][]int{}
	for i, a := range articles {
		if a.URL != "" && a.ID == feed.CanonicalURL(a.URL) {
			byLink[a.ID] = append(byLink[a.ID], i)
		}
	}
	for link, idx := range byLink {
		if len(idx) < 2 {
			continue
		}
		texts := map[string][]int{} // text hash → items
		for _, i := range idx {
			h := hashID(link, articles[i].Title, articles[i].Content)
			texts[h] = append(texts[h], i)
		}
		dated := false
		for h, same := range texts {
			dates := map[string]bool{}
			for _, i := range same {
				dates[itemDates(articles[i])] = true
			}
			for _, i := range same {
				switch {
				case len(dates) > 1:
					articles[i].ID = hashID(link, articles[i].Title, articles[i].Content, itemDates(articles[i]))
					dated = true
				case len(texts) > 1:
					articles[i].ID = h
				}
			}
		}
		if len(texts) > 1 || dated {
			s.log.Warn("upstream repeats a link for different items without ids, deriving their ids from link and text",
				"url", link, "count", len(idx))
		}
	}
}

// itemDates is an item's dates as one string, for hashID.
func itemDates(a feed.Article) string {
	return a.Published.UTC().Format(time.RFC3339Nano) + " " + a.Updated.UTC().Format(time.RFC3339Nano)
}

func (s *Feed) article(it *gofeed.Item, base, feedURL string) feed.Article {
	a := feed.Article{
		Title:  titleText(it.Title),
		Base:   feedURL,
		Source: s.cfg.Name,
		Tags:   nonEmpty(it.Categories),
	}
	link := strings.TrimSpace(it.Link)
	if link == "" && len(it.Links) > 0 {
		link = strings.TrimSpace(it.Links[0])
	}
	if link != "" {
		a.URL = sources.ResolveRef(base, link)
	}
	for _, e := range it.Enclosures {
		if e == nil || strings.TrimSpace(e.URL) == "" {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(e.Length), 10, 64)
		a.Enclosures = append(a.Enclosures, feed.Enclosure{URL: sources.ResolveRef(base, strings.TrimSpace(e.URL)), Type: e.Type, Length: n})
	}
	a.Content = it.Content
	if a.Content == "" {
		a.Content = it.Description
	} else if it.Description != it.Content {
		a.Summary = it.Description
	}
	a.Content = s.capContent(a.Content, it.Title)
	a.Summary = s.capContent(a.Summary, it.Title)
	if a.Title == "" {
		a.Title = fallbackTitle(it, a)
	}
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		a.Author = feed.Author{Name: strings.TrimSpace(it.Authors[0].Name), Email: strings.TrimSpace(it.Authors[0].Email)}
	} else if it.Author != nil {
		a.Author = feed.Author{Name: strings.TrimSpace(it.Author.Name), Email: strings.TrimSpace(it.Author.Email)}
	}
	pub, upd := it.Published, it.Updated
	if strings.TrimSpace(pub) == "" && it.PublishedParsed == nil {
		pub = dctermsDate(it, "issued", "created", "available", "date")
	}
	if strings.TrimSpace(upd) == "" && it.UpdatedParsed == nil {
		upd = dctermsDate(it, "modified")
	}
	a.Published = s.itemDate(pub, it.PublishedParsed, a.Title)
	a.Updated = s.itemDate(upd, it.UpdatedParsed, a.Title)
	a.ID = articleID(strings.TrimSpace(it.GUID), a, base)
	if a.ID == "" {
		a.ID = hashID(a.Title, a.Content)
		s.log.Info("item has no link and no id, derived id from its text", "article_id", a.ID, "title", a.Title)
	}
	return a
}

// titleText returns an upstream title as plain text. gofeed does not say
// whether an Atom title was type="html", and RSS titles are often written
// with markup, so a title that holds real HTML elements ("Dark mode
// <em>everywhere</em>") is reduced to its text (inline elements add no
// space, scripts nothing); a title with character references
// ("AT&amp;T", "&#8216;") has them decoded; anything else, including a
// literal "a < b", is kept as written.
func titleText(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "<") || !onlyHTMLTags(s) {
		return titleEntities(s)
	}
	return feed.HTMLText(s, -1)
}

// fallbackTitle names an item that has no title: its Media RSS title
// (the item's own, then one in a media:group or media:content), else,
// for an item with no text, link or enclosure that feed.Normalize could
// name it by, its first category. "" leaves the choice to Normalize.
func fallbackTitle(it *gofeed.Item, a feed.Article) string {
	media := it.Extensions["media"]
	if t := extText(media["title"]); t != "" {
		return titleText(t)
	}
	for _, g := range media["group"] {
		if t := extText(g.Children["title"]); t != "" {
			return titleText(t)
		}
		for _, c := range g.Children["content"] {
			if t := extText(c.Children["title"]); t != "" {
				return titleText(t)
			}
		}
	}
	for _, c := range media["content"] {
		if t := extText(c.Children["title"]); t != "" {
			return titleText(t)
		}
	}
	if len(a.Tags) > 0 && a.URL == "" && len(a.Enclosures) == 0 && feed.HTMLText(a.Content, 1) == "" {
		return a.Tags[0]
	}
	return ""
}

// extText is the first non-blank value among an extension's elements.
func extText(es []ext.Extension) string {
	for _, e := range es {
		if v := strings.TrimSpace(e.Value); v != "" {
			return v
		}
	}
	return ""
}

// onlyHTMLTags reports whether s has at least one tag and every tag in it
// is an HTML element: "<3 Go" and "x <y> z" are not markup.
func onlyHTMLTags(s string) bool {
	markup := false
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return markup
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if atom.Lookup(name) == 0 {
				return false
			}
			markup = true
		}
	}
}

// charRefRE matches an HTML character reference.
var charRefRE = regexp.MustCompile(`&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// titleEntities decodes the character references of a title that has
// any: an Atom type="html" title escapes its text once more than XML
// does, and so do many RSS titles. A bare "&" stays.
func titleEntities(s string) string {
	if !charRefRE.MatchString(s) {
		return s
	}
	return stdhtml.UnescapeString(s)
}

// itemDate prefers gofeed's parsing, except for dates written without a
// zone, which gofeed reads as UTC and this source reads in its Timezone,
// and dates gofeed cannot read. A date nothing reads is logged with its
// raw text: the item is then dated when first seen.
func (s *Feed) itemDate(raw string, parsed *time.Time, title string) time.Time {
	if raw = strings.TrimSpace(raw); raw != "" {
		t, zoned, err := sources.ParseDateZone(raw, s.cfg.Timezone, nil)
		if err == nil && (!zoned || parsed == nil) {
			return t
		}
		if err != nil && parsed == nil {
			s.log.Warn("unreadable item date, ignored", "date", raw, "title", title)
		}
	}
	if parsed != nil {
		return *parsed
	}
	return time.Time{}
}

// capContent cuts an item's HTML to maxItemContent bytes, at a tag
// boundary, which the sanitizer then closes. xmlCapText caps each text
// run before parsing; this catches content made of many short runs
// (Atom xhtml) and JSON Feeds.
func (s *Feed) capContent(html, title string) string {
	if len(html) <= maxItemContent {
		return html
	}
	cut := html[:maxItemContent]
	if i := strings.LastIndexByte(cut, '<'); i > maxItemContent/2 {
		cut = cut[:i]
	}
	// A copy, so the whole upstream text is not kept alive by a substring.
	cut = strings.Clone(strings.ToValidUTF8(cut, ""))
	s.log.Warn("item content over the cap, cut", "title", title, "bytes", len(html), "kept", len(cut))
	return cut
}

// articleID keeps an upstream id when it is plausibly stable (not empty,
// not absurdly long; a relative path is made absolute so it cannot collide
// with another site's) and otherwise derives one from the canonical link.
// It returns "" when there is neither.
func articleID(guid string, a feed.Article, base string) string {
	if guid != "" && len(guid) <= 2048 {
		if strings.HasPrefix(guid, "/") && !strings.HasPrefix(guid, "//") {
			return sources.ResolveRef(base, guid)
		}
		return guid
	}
	if a.URL != "" {
		return feed.CanonicalURL(a.URL)
	}
	return ""
}

// hashID derives an id from parts of an item (its title and content when
// it has neither link nor guid; its link too when that repeats), so it
// stays the same while the item does.
func hashID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "urn:sha256:" + hex.EncodeToString(h[:16])
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
