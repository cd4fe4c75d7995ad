package sources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/heraldfeed/herald/feed"
)

// FeedConfig configures a source of type feed: an upstream RSS, Atom or
// JSON Feed document.
type FeedConfig struct {
	Name string
	URL  string
	// Timezone is the zone of upstream dates written without one; UTC
	// when nil.
	Timezone *time.Location
	// FullText replaces each item's content with the main content of its
	// linked page, extracted with a readability algorithm.
	FullText bool
}

// Feed collects the items of an upstream RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or
// JSON Feed 1.0/1.1 document.
type Feed struct {
	cfg   FeedConfig
	fetch *Fetcher
	log   *slog.Logger
	state webState
	full  *fullText

	// Now is the clock; tests replace it.
	Now func() time.Time
}

var _ Source = (*Feed)(nil)

// NewFeed returns a feed source fetching through f.
func NewFeed(cfg FeedConfig, f *Fetcher, log *slog.Logger) (*Feed, error) {
	if cfg.Name == "" {
		return nil, errors.New("feed source: name is required")
	}
	if err := checkWebURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("feed source %s: %w", cfg.Name, err)
	}
	if f == nil {
		return nil, fmt.Errorf("feed source %s: fetcher is required", cfg.Name)
	}
	if cfg.Timezone == nil {
		cfg.Timezone = time.UTC
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", cfg.Name)
	s := &Feed{cfg: cfg, fetch: f, log: log, Now: time.Now}
	if cfg.FullText {
		s.full = newFullText(f, cfg.URL, log)
	}
	return s, nil
}

func checkWebURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New(defaultRedactor.Text(fmt.Sprintf("url: %v", err)))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want an absolute http or https URL", RedactURL(raw))
	}
	return nil
}

// Name returns the configured name.
func (s *Feed) Name() string { return s.cfg.Name }

// Collect fetches and parses the feed. On failure it returns the last good
// articles with an error naming the source, the URL and the reason; after
// a failure it skips collections for a growing while (ErrBackoff). A 304
// returns the previous articles without parsing.
func (s *Feed) Collect(ctx context.Context) ([]feed.Article, error) {
	return collectWeb(ctx, &s.state, s.fetch, s.cfg.Name, s.cfg.URL, s.Now, s.log, s.parse)
}

// collectWeb is the collection cycle Feed and Page share: backoff, a
// conditional fetch, parse, commit validators, remember the result.
func collectWeb(ctx context.Context, st *webState, f *Fetcher, name, rawURL string, now func() time.Time,
	log *slog.Logger, parse func(ctx context.Context, r *Response) ([]feed.Article, error)) ([]feed.Article, error) {
	start := now()
	shown := f.URL(rawURL) // what messages may quote
	if err := st.skip(start); err != nil {
		prev, _ := st.previous()
		return prev, fmt.Errorf("source %s: %s: %w", name, shown, err)
	}
	prev, have := st.previous()
	resp, err := f.get(ctx, rawURL, rawURL, have)
	if err == nil && resp.NotModified {
		return prev, nil
	}
	var articles []feed.Article
	if err == nil {
		articles, err = parse(ctx, resp)
	}
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down is not the upstream's fault.
			return prev, fmt.Errorf("source %s: %s: %w", name, shown, err)
		}
		return st.failed(now(), f.cfg.MaxBackoff), fmt.Errorf("source %s: %s: %w", name, shown, err)
	}
	st.dateItems(articles, now(), log)
	f.Commit(resp)
	st.succeeded(articles)
	log.Debug("collected", "url", shown, "count", len(articles), "duration", now().Sub(start))
	return articles, nil
}

func (s *Feed) parse(ctx context.Context, r *Response) ([]feed.Article, error) {
	kind := kindXML
	if b := bytes.TrimSpace(r.Body); len(b) > 0 && b[0] == '{' {
		kind = kindJSON
	}
	body := webToUTF8(r.Body, r.Header.Get("Content-Type"), kind)
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parsing feed: %w", err)
	}
	// Atom's xml:base is applied by gofeed; anything still relative is
	// resolved against the URL the feed was fetched from.
	base := r.URL
	articles := make([]feed.Article, 0, len(parsed.Items))
	for _, it := range parsed.Items {
		if it == nil {
			continue
		}
		articles = append(articles, s.article(it, base, r.URL))
	}
	if s.full != nil {
		s.full.apply(ctx, articles)
	}
	return articles, nil
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
		a.URL = resolveRef(base, link)
	}
	for _, e := range it.Enclosures {
		if e == nil || strings.TrimSpace(e.URL) == "" {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(e.Length), 10, 64)
		a.Enclosures = append(a.Enclosures, feed.Enclosure{URL: resolveRef(base, strings.TrimSpace(e.URL)), Type: e.Type, Length: n})
	}
	a.Content = it.Content
	if a.Content == "" {
		a.Content = it.Description
	} else if it.Description != it.Content {
		a.Summary = it.Description
	}
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		a.Author = feed.Author{Name: strings.TrimSpace(it.Authors[0].Name), Email: strings.TrimSpace(it.Authors[0].Email)}
	} else if it.Author != nil {
		a.Author = feed.Author{Name: strings.TrimSpace(it.Author.Name), Email: strings.TrimSpace(it.Author.Email)}
	}
	a.Published = s.itemDate(it.Published, it.PublishedParsed)
	a.Updated = s.itemDate(it.Updated, it.UpdatedParsed)
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
// <em>everywhere</em>") is reduced to its text; anything else, including a
// literal "a < b", is kept as written.
func titleText(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "<") {
		return s
	}
	var text strings.Builder
	markup := false
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if !markup {
				return s
			}
			return strings.Join(strings.Fields(text.String()), " ")
		case html.TextToken:
			text.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if atom.Lookup(name) == 0 {
				return s // not HTML after all: "<3 Go", "x <y> z"
			}
			markup = true
			text.WriteByte(' ')
		}
	}
}

// itemDate prefers gofeed's parsing, except for dates written without a
// zone, which gofeed reads as UTC and this source reads in its Timezone.
func (s *Feed) itemDate(raw string, parsed *time.Time) time.Time {
	if raw != "" {
		if t, zoned, err := parseDateZone(raw, s.cfg.Timezone, nil); err == nil && !zoned {
			return t
		}
	}
	if parsed != nil {
		return *parsed
	}
	return time.Time{}
}

// articleID keeps an upstream id when it is plausibly stable (not empty,
// not absurdly long; a relative path is made absolute so it cannot collide
// with another site's) and otherwise derives one from the canonical link.
// It returns "" when there is neither.
func articleID(guid string, a feed.Article, base string) string {
	if guid != "" && len(guid) <= 2048 {
		if strings.HasPrefix(guid, "/") && !strings.HasPrefix(guid, "//") {
			return resolveRef(base, guid)
		}
		return guid
	}
	if a.URL != "" {
		return feed.CanonicalURL(a.URL)
	}
	return ""
}

// hashID derives an id for an item with neither link nor guid from its
// text, so it stays the same while the item does.
func hashID(title, content string) string {
	h := sha256.Sum256([]byte(title + "\x00" + content))
	return "urn:sha256:" + hex.EncodeToString(h[:16])
}

func resolveRef(base, ref string) string {
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
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

// fullTextWorkers bounds how many article pages a source fetches at once.
const fullTextWorkers = 4

// fullText replaces articles' content with the main content of their
// pages. Extracted content is cached per URL, so an item seen in an
// earlier collection is not fetched again.
type fullText struct {
	fetch  *Fetcher
	origin string // the source's configured URL, whose host item links may reach
	log    *slog.Logger

	mu    sync.Mutex
	cache map[string]string
}

func newFullText(f *Fetcher, origin string, log *slog.Logger) *fullText {
	return &fullText{fetch: f, origin: origin, log: log, cache: make(map[string]string)}
}

// apply sets each article's Content to its page's extracted content,
// moving the upstream content to Summary when Summary is empty. An
// article whose page cannot be fetched or extracted keeps its upstream
// content; that is logged, not returned, since the source itself is fine.
func (ft *fullText) apply(ctx context.Context, articles []feed.Article) {
	sem := make(chan struct{}, fullTextWorkers)
	var wg sync.WaitGroup
	keep := make(map[string]string, len(articles))
	var keepMu sync.Mutex
	for i := range articles {
		a := &articles[i]
		if a.URL == "" {
			continue
		}
		ft.mu.Lock()
		content, ok := ft.cache[a.URL]
		ft.mu.Unlock()
		if ok {
			setFullText(a, content)
			keep[a.URL] = content
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			content, err := ft.extract(ctx, a.URL)
			if err != nil {
				ft.log.Warn("full text unavailable, keeping upstream content", "url", ft.fetch.URL(a.URL), "error", err)
				return
			}
			setFullText(a, content)
			keepMu.Lock()
			keep[a.URL] = content
			keepMu.Unlock()
		}()
	}
	wg.Wait()
	ft.mu.Lock()
	ft.cache = keep // forget pages no longer in the feed
	ft.mu.Unlock()
}

func setFullText(a *feed.Article, content string) {
	if a.Summary == "" {
		a.Summary = a.Content
	}
	a.Content = content
}

func (ft *fullText) extract(ctx context.Context, pageURL string) (string, error) {
	resp, err := ft.fetch.GetFrom(ctx, pageURL, ft.origin)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		return "", errors.New(ft.fetch.cfg.Redact.Text(fmt.Sprintf("parsing url: %v", err)))
	}
	body := webToUTF8(resp.Body, resp.Header.Get("Content-Type"), kindHTML)
	art, err := readability.FromReader(bytes.NewReader(body), u)
	if err != nil {
		return "", fmt.Errorf("extracting content: %w", err)
	}
	var buf bytes.Buffer
	if err := art.RenderHTML(&buf); err != nil {
		return "", fmt.Errorf("rendering content: %w", err)
	}
	content := strings.TrimSpace(buf.String())
	if content == "" {
		return "", errors.New("extracting content: nothing readable")
	}
	return content, nil
}
