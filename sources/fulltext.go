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
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/heraldfeed/herald/feed"
)

// fullTextWorkers bounds how many article pages a source fetches at once.
const fullTextWorkers = 4

// FullText sets each article's Content to the main content of its page,
// extracted with a readability algorithm, moving the upstream content to
// Summary when Summary is empty. cache is the content extracted at the
// previous collection, by URL (State.FullText): those pages are not
// fetched again. origin is the source's configured URL: pages are
// content, fetched with GetFrom. It returns the cache for the next
// collection, holding only the current articles' pages. An article whose page cannot be
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
	content := strings.TrimSpace(unwrap(buf.String()))
	if content == "" {
		return "", errors.New("extracting content: nothing readable")
	}
	return content, nil
}

// unwrap drops the containers readability wraps its result in (`<div
// id="readability-page-1" class="page">`, then often the page's own
// `<article>` or a bare `<div>`): a feed item's content is the article's
// blocks, and those wrappers only carry the page's ids and classes. It
// peels while the content is one such element and nothing else.
func unwrap(content string) string {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(content), body)
	if err != nil {
		return content
	}
	peeled := false
peel:
	for {
		var only *html.Node
		n := 0
		for _, c := range nodes {
			if c.Type == html.TextNode && strings.TrimSpace(c.Data) == "" {
				continue
			}
			only = c
			n++
		}
		if n != 1 || only.Type != html.ElementNode {
			break peel
		}
		switch only.DataAtom {
		case atom.Div, atom.Article, atom.Main, atom.Section:
		default:
			break peel
		}
		nodes = nodes[:0:0]
		for c := only.FirstChild; c != nil; c = c.NextSibling {
			nodes = append(nodes, c)
		}
		peeled = true
	}
	if !peeled {
		return content
	}
	var b strings.Builder
	for _, n := range nodes {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
		if err := html.Render(&b, n); err != nil {
			return content
		}
	}
	return b.String()
}
