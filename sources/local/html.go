package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
)

// ReadHTML parses a saved HTML page as an article with the extraction
// pipeline every source shares (extract.Extract): the title, the main
// content without the site around it, trailers cut, and the metadata the
// page declares. Dates that do not parse are ignored: a scraped page's
// metadata is advisory, unlike front matter.
//
// The encoding comes from a byte order mark or a <meta charset> /
// http-equiv declaration; a page declaring none, UTF-8 or Windows-1252 (or
// its alias ISO-8859-1) is read as UTF-8 when valid, else Windows-1252.
//
// It stops when ctx is done (returning its error) or after maxParseTime
// (returning an ErrBound). The parser reads its input as it goes, through
// the guard, so the parse itself stops. (golang.org/x/net/html refuses
// more than 512 open elements itself.)
func ReadHTML(ctx context.Context, data []byte, trailers *extract.Trailers) (feed.Article, error) {
	g := newGuard(ctx)
	defer g.release()
	a, err := readHTML(g.ctx, data, trailers)
	if gerr := g.err(); gerr != nil {
		return feed.Article{}, fmt.Errorf("html: %w", gerr)
	}
	if err != nil && strings.Contains(err.Error(), "open stack of elements exceeds") {
		// x/net/html's nesting limit (its error is not exported): a
		// bound like ours, skipped with a warning.
		return feed.Article{}, fmt.Errorf("%w: %w", err, ErrBound)
	}
	return a, err
}

func readHTML(ctx context.Context, data []byte, trailers *extract.Trailers) (feed.Article, error) {
	r, err := extract.Extract(ctx, bytes.NewReader(sources.ToUTF8(data, "", sources.KindHTML)), extract.Options{
		Trailers: trailers,
		// Metadata is advisory, unlike front matter: a date that does
		// not parse is ignored.
		ParseDate: func(s string) (time.Time, error) { return parseDate(s) },
	})
	switch {
	case errors.Is(err, extract.ErrTooLarge):
		return feed.Article{}, fmt.Errorf("%w: %w", err, ErrBound)
	case err != nil && !errors.Is(err, extract.ErrNothing):
		return feed.Article{}, err
	}
	if r.Title == "" {
		return feed.Article{}, ErrUntitled
	}
	a := feed.Article{
		Title: r.Title, URL: r.URL, Summary: r.Summary, Tags: r.Tags,
		Published: r.Published, Updated: r.Modified, Content: r.Content,
		Author: feed.Author{Name: r.Author, URL: r.AuthorURL},
	}
	return a, nil
}
