package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// jetpackItem is a WordPress item as Jetpack publishes it: the share and
// related blocks in the content and, as text, in the description.
const jetpackItem = `<item><guid>https://garden.example/?p=1</guid><title>Beds</title><link>https://garden.example/beds/</link>
<description><![CDATA[We planted the first beds of the year. Share this: Twitter Facebook Related]]></description>
<content:encoded><![CDATA[<p>We planted the first beds of the year on Saturday.</p>
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li><a href="?share=twitter">Twitter</a></li><li><a href="?share=facebook">Facebook</a></li></ul></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3></div>
<p>The post <a href="https://garden.example/beds/">Beds</a> appeared first on <a href="https://garden.example">Garden</a>.</p>
<img src="https://pixel.wp.com/g.gif?blog=1" width="1" height="1" alt="">]]></content:encoded></item>`

func jetpackFeed() string {
	return strings.Replace(upRSS(jetpackItem), `<rss version="2.0">`, `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">`, 1)
}

func TestFeedCleansItems(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(jetpackFeed()))
	}))
	defer srv.Close()
	tests := []struct {
		name      string
		cfg       Config
		keep, cut []string
	}{
		{"cleaned by default", Config{}, []string{"first beds of the year on Saturday"},
			[]string{"Share this", "Twitter", "Related", "appeared first", "pixel.wp.com"}},
		{"source trailers too", Config{Trailers: []string{`we planted the first beds of the year on saturday\.`}}, nil,
			// The trailer needs body before it: the first paragraph stays.
			[]string{"Share this", "pixel.wp.com"}},
		{"clean: false keeps everything", Config{Raw: true}, []string{"first beds", "Share this", "appeared first", "pixel.wp.com"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1})
			cfg := tc.cfg
			cfg.Name, cfg.URL = "garden", srv.URL+"/feed"
			src, err := New(cfg, f, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sourcetest.For(src).Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d articles, want 1", len(got))
			}
			sourcetest.KeepsAndCuts(t, got[0].Content, tc.keep, tc.cut)
			if !cfg.Raw && strings.Contains(got[0].Summary, "Share this") {
				t.Errorf("summary keeps the share line: %q", got[0].Summary)
			}
		})
	}
}

func TestNewFeedBadTrailer(t *testing.T) {
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1})
	_, err := New(Config{Name: "x", URL: "https://example.com/feed", Trailers: []string{"ok", "(x"}}, f, nil)
	if err == nil || !strings.Contains(err.Error(), "trailers[1]") {
		t.Errorf("err = %v, want one naming trailers[1]", err)
	}
}
