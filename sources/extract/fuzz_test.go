package extract

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/feed"
)

// FuzzExtract: any bytes either extract or fail with an error, never
// panic; what is extracted has text, and the metadata has no newline
// runs.
func FuzzExtract(f *testing.F) {
	page, err := os.ReadFile("testdata/article.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(page, false)
	f.Add([]byte(`<html><head><script type="application/ld+json">[{"@graph":[{"@type":"Article","author":[{"name":1}]}]}]</script></head><body><p>x</p></body></html>`), true)
	f.Add([]byte("<p>Body.</p><p>Share this:</p><ul><li>x</li></ul>"), true)
	f.Add([]byte("<table><td><figure><figcaption>c</figcaption></figure>"), false)
	trailers, err := NewTrailers(nil)
	if err != nil {
		f.Fatal(err)
	}
	u := &url.URL{Scheme: "https", Host: "site.example", Path: "/a/"}
	f.Fuzz(func(t *testing.T, data []byte, withURL bool) {
		opts := Options{Trailers: trailers, ParseDate: parseISO}
		if withURL {
			opts.URL = u
		}
		r, err := Extract(context.Background(), strings.NewReader(string(data)), opts)
		if err != nil {
			if !errors.Is(err, ErrNothing) && !errors.Is(err, ErrTooLarge) && !strings.HasPrefix(err.Error(), "parsing page") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if strings.TrimSpace(r.Content) == "" {
			t.Fatal("no error and no content")
		}
		if strings.Contains(r.Title, "\n") {
			t.Errorf("title %q has a newline", r.Title)
		}
	})
}

// FuzzClean: Clean never panics, returns its input when it removes
// nothing it recognizes, and never adds text.
func FuzzClean(f *testing.F) {
	for _, name := range []string{"jetpack", "appeared-first", "continue-reading", "feedflare", "tracking-pixel", "untouched"} {
		b, err := os.ReadFile("testdata/items/" + name + ".html")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	trailers, err := NewTrailers(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s, trailers)
		if len(feed.HTMLText(got, -1)) > len(feed.HTMLText(s, -1))+len(s) {
			t.Fatalf("Clean added text: %q -> %q", s, got)
		}
		if again := Clean(got, trailers); len(again) > len(got)+len(got)/2+16 {
			t.Fatalf("Clean of its output grew: %q -> %q", got, again)
		}
	})
}
