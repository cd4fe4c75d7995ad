package upstream

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// FuzzFeedParse feeds arbitrary bytes, under an arbitrary Content-Type,
// through the feed source's parsing (charset detection, gofeed, mapping to
// articles): it must not panic, and whatever comes out must normalize and
// render to well-formed feeds.
func FuzzFeedParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	for _, p := range seeds {
		if ext := filepath.Ext(p); ext == ".golden" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "application/xml")
		}
	}
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><item><title>caf`+"\xe9"+`</title></item></channel></rss>`), "text/xml; charset=utf-8")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<script>x</script>"}]}`), "application/feed+json")
	fetcher, _ := sourcetest.Fetcher(f, sources.FetchConfig{})
	src, err := New(Config{Name: "fuzz", URL: "https://up.example/feed"}, fetcher, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		resp := &sources.Response{URL: "https://up.example/feed", Status: 200, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		articles, err := src.parse(context.Background(), resp, &sources.State{})
		if err != nil {
			return // a malformed feed is an error, which is fine
		}
		fd := &feed.Feed{Name: "f", Title: "f", BaseURL: "https://herald.example/",
			Items: feed.Normalize(articles, feed.Options{Now: time.Unix(1e9, 0)})}
		for _, format := range feed.Formats {
			var buf bytes.Buffer
			if err := format.Render(&buf, fd); err != nil {
				t.Fatalf("%s: %v", format.Name, err)
			}
			if format.Name == feed.JSON.Name {
				continue
			}
			dec := xml.NewDecoder(&buf)
			dec.Strict = true
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s not well-formed: %v", format.Name, err)
				}
			}
		}
	})
}
