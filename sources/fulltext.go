package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources/extract"
)

// Full text is bounded like everything else Herald reads: each page by
// FetchConfig.MaxBody (readBody), the pages of one source in one
// collection by fullTextBudget·MaxBody, and what is kept of a page by
// maxFullTextContent. 150 items linking to 9 MB pages used to take 13 GB
// of memory and make a 450 MB feed. README: What Herald will and will not
// fetch.
const (
	// fullTextWorkers bounds how many article pages a source fetches at
	// once.
	fullTextWorkers = 4
	// fullTextBudget is how many MaxBody of article pages a source reads
	// per collection (40 MiB by default), the pages under way counted as
	// MaxBody each until read; so a source reads under one MaxBody more.
	// Pages left out keep their upstream content and are fetched at a
	// later collection, whose budget the cached pages do not use.
	fullTextBudget = 4
	// maxFullTextContent caps the extracted content kept for an article,
	// in bytes: the same bound as an upstream item's content (upstream's
	// maxItemContent). A larger extraction is not an article's text but a
	// page's bulk; the article keeps its upstream content.
	maxFullTextContent = 512 << 10
	// maxExtractTime caps the parse of one page: a real 2 MB page takes
	// well under a second (README: Article extraction).
	maxExtractTime = 5 * time.Second
)

// errContentTooLarge means a page's extracted content was over
// maxFullTextContent.
var errContentTooLarge = errors.New("extracted content too large")

// FullText sets each article's Content to the main content of its page,
// extracted by the pipeline every source shares (package extract) with
// the source's trailers, moving the upstream content to Summary when
// Summary is empty; and its title, author and dates, where the source
// gave none, to what the page declares. cache and metas are the content
// and metadata extracted at the previous collection, by URL
// (State.FullText, State.FullTextMeta): those pages are not fetched
// again. origin is the source's configured URL: pages are content,
// fetched with GetFrom. It returns the cache and metadata for the next
// collection, holding only the current articles' pages. An article whose
// page cannot be fetched or extracted, or that comes after the source's
// budget is spent (pages are taken in the feed's order), keeps its
// upstream content; that is logged, not returned, since the source itself
// is fine.
func (f *Fetcher) FullText(ctx context.Context, articles []feed.Article, cache map[string]string, metas map[string]PageMeta, origin string, trailers *extract.Trailers, log *slog.Logger) (map[string]string, map[string]PageMeta) {
	keep := make(map[string]string, len(articles))
	keepMeta := make(map[string]PageMeta, len(metas))
	var todo []*feed.Article
	for i := range articles {
		a := &articles[i]
		if a.URL == "" {
			continue
		}
		key := f.stateKey(a.URL)
		if content, ok := cache[key]; ok {
			setFullText(a, content, metas[key])
			keep[key] = content
			if m, ok := metas[key]; ok {
				keepMeta[key] = m
			}
			continue
		}
		todo = append(todo, a)
	}

	budget := fullTextBudget * f.cfg.MaxBody
	var (
		mu sync.Mutex
		// used counts the bytes of the pages read, reserved MaxBody for
		// each page being read: a page starts only while their sum is
		// under the budget, so what a source reads stays under
		// budget+MaxBody however many workers read at once.
		used, reserved      int64
		overBudget, tooLong int
		next                int
		wg                  sync.WaitGroup
	)
	for range min(fullTextWorkers, len(todo)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				if next == len(todo) {
					mu.Unlock()
					return
				}
				a := todo[next]
				next++
				if used+reserved >= budget {
					overBudget++
					mu.Unlock()
					continue
				}
				reserved += f.cfg.MaxBody
				mu.Unlock()

				content, meta, err := f.extract(ctx, a.URL, origin, trailers, func(n int64) {
					mu.Lock()
					used += n
					reserved -= f.cfg.MaxBody
					mu.Unlock()
				})
				mu.Lock()
				if errors.Is(err, errContentTooLarge) {
					tooLong++
				} else if err == nil {
					setFullText(a, content, meta)
					keep[f.stateKey(a.URL)] = content
					if meta != (PageMeta{}) {
						keepMeta[f.stateKey(a.URL)] = meta
					}
				}
				mu.Unlock()
				if err != nil && !errors.Is(err, errContentTooLarge) {
					log.Warn("full text unavailable, keeping upstream content", "url", f.URL(a.URL), "error", err)
				}
			}
		})
	}
	wg.Wait()
	// Once per collection, not per article: a feed of huge pages would
	// otherwise log a line per item at every collection.
	if overBudget > 0 {
		log.Warn("full text budget spent, keeping upstream content of the other articles until a later collection",
			"articles", overBudget, "budget_bytes", budget)
	}
	if tooLong > 0 {
		log.Warn("extracted full text too large, keeping upstream content",
			"articles", tooLong, "limit_bytes", maxFullTextContent)
	}
	if len(keepMeta) == 0 {
		keepMeta = nil
	}
	return keep, keepMeta
}

// setFullText sets a's content to a page's, and fills from the page's
// metadata what the source did not give.
func setFullText(a *feed.Article, content string, m PageMeta) {
	if a.Summary == "" {
		a.Summary = a.Content
	}
	a.Content = content
	if a.Title == "" {
		a.Title = m.Title
	}
	if a.Author.IsZero() {
		a.Author.Name = m.Author
	}
	if a.Published.IsZero() {
		a.Published = m.Published
	}
	if a.Updated.IsZero() {
		a.Updated = m.Updated
	}
}

// extract fetches and extracts one page. It calls read exactly once,
// with the bytes of page read (0 when the fetch failed), as soon as the
// page is read: they count against the source's budget whether
// extraction works or not.
func (f *Fetcher) extract(ctx context.Context, pageURL, origin string, trailers *extract.Trailers, read func(n int64)) (string, PageMeta, error) {
	resp, err := f.GetFrom(ctx, pageURL, origin)
	if err != nil {
		read(0)
		return "", PageMeta{}, err
	}
	read(int64(len(resp.Body)))
	u, err := url.Parse(resp.URL)
	if err != nil {
		return "", PageMeta{}, errors.New(f.cfg.Redact.Text(fmt.Sprintf("parsing url: %v", err)))
	}
	// Extraction holds a page's DOM, many times its size: the pages
	// parsed at once across the process share one MaxBody of budget.
	release, err := f.parsing.Acquire(ctx, int64(len(resp.Body)))
	if err != nil {
		return "", PageMeta{}, err
	}
	defer release()
	body := ToUTF8(resp.Body, resp.Header.Get("Content-Type"), KindHTML)
	ctx, cancel := context.WithTimeout(ctx, maxExtractTime)
	defer cancel()
	art, err := extract.Extract(ctx, bytes.NewReader(body), extract.Options{
		URL: u, Trailers: trailers,
		// A page's dates are advisory: one that does not parse is
		// ignored, never guessed at.
		ParseDate: func(s string) (time.Time, error) { return ParseDate(s, time.UTC) },
	})
	if errors.Is(err, extract.ErrTooLarge) {
		// Not an article but a page's bulk, like a too large extraction.
		return "", PageMeta{}, fmt.Errorf("%w: %w", errContentTooLarge, err)
	}
	if err != nil {
		return "", PageMeta{}, fmt.Errorf("extracting content: %w", err)
	}
	content := art.Content
	if len(content) > maxFullTextContent {
		return "", PageMeta{}, fmt.Errorf("%w: %d bytes", errContentTooLarge, len(content))
	}
	meta := PageMeta{Title: art.Title, Author: art.Author, Published: art.Published, Updated: art.Modified}
	return content, meta, nil
}
