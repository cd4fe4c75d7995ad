package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	readability "codeberg.org/readeck/go-readability/v2"

	"github.com/heraldfeed/herald/feed"
)

// fullTextWorkers bounds how many article pages a source fetches at once.
const fullTextWorkers = 4

// FullText sets each article's Content to the main content of its page,
// extracted with a readability algorithm, moving the upstream content to
// Summary when Summary is empty. cache is the content extracted at the
// previous collection, by URL (State.FullText): those pages are not
// fetched again. origin is the source's configured URL: pages are
// fetched with GetFrom, under its trust. It returns the cache for the next collection, holding
// only the current articles' pages. An article whose page cannot be
// fetched or extracted keeps its upstream content; that is logged, not
// returned, since the source itself is fine.
func (f *Fetcher) FullText(ctx context.Context, articles []feed.Article, cache map[string]string, origin string, log *slog.Logger) map[string]string {
	sem := make(chan struct{}, fullTextWorkers)
	var wg sync.WaitGroup
	keep := make(map[string]string, len(articles))
	var keepMu sync.Mutex
	for i := range articles {
		a := &articles[i]
		if a.URL == "" {
			continue
		}
		if content, ok := cache[a.URL]; ok {
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
			content, err := f.extract(ctx, a.URL, origin)
			if err != nil {
				log.Warn("full text unavailable, keeping upstream content", "url", f.URL(a.URL), "error", err)
				return
			}
			setFullText(a, content)
			keepMu.Lock()
			keep[a.URL] = content
			keepMu.Unlock()
		}()
	}
	wg.Wait()
	return keep
}

func setFullText(a *feed.Article, content string) {
	if a.Summary == "" {
		a.Summary = a.Content
	}
	a.Content = content
}

func (f *Fetcher) extract(ctx context.Context, pageURL, origin string) (string, error) {
	resp, err := f.GetFrom(ctx, pageURL, origin)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		return "", errors.New(f.cfg.Redact.Text(fmt.Sprintf("parsing url: %v", err)))
	}
	body := ToUTF8(resp.Body, resp.Header.Get("Content-Type"), KindHTML)
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
