package sources

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
)

// TestFullTextMetadata: what the page declares fills what the source gave
// none of, from the fetched page and from the cache alike; what the
// source gave is kept; a date Herald cannot read is ignored.
func TestFullTextMetadata(t *testing.T) {
	const body = `<p>` + "The full story is long enough to be the main content of the page, with several sentences, commas, and words. " + `</p>`
	pages := map[string]string{
		"/dated": `<html><head><title>Page Title</title><meta name="author" content="Ann Page">
<meta property="article:published_time" content="2024-05-01T08:00:00Z"><meta property="article:modified_time" content="2024-05-02T09:00:00Z"></head>
<body><article>` + strings.Repeat(body, 5) + `</article></body></html>`,
		"/baddate": `<html><head><title>Bad</title><meta property="article:published_time" content="the other day"></head>
<body><article>` + strings.Repeat(body, 5) + `</article></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, pages[r.URL.Path])
	}))
	defer srv.Close()
	f, err := NewFetcher(FetchConfig{Retries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	date := func(s string) time.Time { d, _ := time.Parse(time.RFC3339, s); return d }
	own := date("2023-01-01T00:00:00Z")
	input := func() []feed.Article {
		return []feed.Article{
			{URL: srv.URL + "/dated"},
			{URL: srv.URL + "/dated", Title: "Own", Author: feed.Author{Name: "Own Author"}, Published: own},
			{URL: srv.URL + "/baddate"},
		}
	}
	want := []feed.Article{
		{URL: srv.URL + "/dated", Title: "Page Title", Author: feed.Author{Name: "Ann Page"}, Published: date("2024-05-01T08:00:00Z"), Updated: date("2024-05-02T09:00:00Z")},
		{URL: srv.URL + "/dated", Title: "Own", Author: feed.Author{Name: "Own Author"}, Published: own, Updated: date("2024-05-02T09:00:00Z")},
		{URL: srv.URL + "/baddate", Title: "Bad"},
	}
	var cache map[string]string
	var metas map[string]PageMeta
	for _, run := range []string{"fetched", "cached"} {
		arts := input()
		cache, metas = f.FullText(context.Background(), arts, cache, metas, srv.URL+"/feed", nil, slog.New(slog.DiscardHandler))
		for i := range arts {
			if !strings.Contains(arts[i].Content, "The full story") {
				t.Errorf("%s: article %d content %.60q", run, i, arts[i].Content)
			}
			arts[i].Content = ""
		}
		if diff := cmp.Diff(want, arts); diff != "" {
			t.Errorf("%s: articles (-want +got):\n%s", run, diff)
		}
	}
}
