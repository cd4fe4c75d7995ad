package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// The -update flag rewrites golden files. Another test file in this
// package may register it first, so it is looked up rather than owned;
// this file sorts late, so its init runs after theirs.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

func upUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// upCorpusNow is after every date in the corpus; undated items get it.
var upCorpusNow = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// TestUpstreamCorpus parses each real-world-shaped feed under
// testdata/upstream from an httptest server into articles, checks them
// against NAME.golden, and republishes them in every format Herald
// renders, checking gofeed reads back the same titles, links and ids.
func TestUpstreamCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*")
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden") {
			inputs = append(inputs, f)
		}
	}
	if len(inputs) < 8 {
		t.Fatalf("found %d corpus files, want at least 8", len(inputs))
	}
	types := map[string]string{".xml": "application/xml", ".rdf": "application/rdf+xml", ".json": "application/feed+json"}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", types[filepath.Ext(in)])
				w.Write(body)
			}))
			defer srv.Close()
			f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
			src := upFeed(t, f, name, srv.URL+"/feeds/"+filepath.Base(in))
			src.Now = func() time.Time { return upCorpusNow }
			articles, err := sourcetest.For(src).Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(articles) == 0 {
				t.Fatal("no articles")
			}

			// The server's random port must not leak into the golden file.
			got, err := json.MarshalIndent(articles, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(bytes.ReplaceAll(got, []byte(srv.URL), []byte("http://upstream.test")), '\n')
			golden := filepath.Join("testdata", "corpus", name+".golden")
			if upUpdating() {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("articles differ from %s (-want +got):\n%s", golden, diff)
			}

			upRoundTrip(t, articles)
		})
	}
}

// upRoundTrip renders articles in every feed format and parses them back.
func upRoundTrip(t *testing.T, articles []feed.Article) {
	t.Helper()
	items := feed.Normalize(articles, feed.Options{Now: upCorpusNow})
	type key struct{ Title, Link, ID string }
	var want []key
	for _, a := range items {
		want = append(want, key{a.Title, a.URL, a.PublicID()})
	}
	fd := &feed.Feed{
		Name: "republished", Title: "Republished", Description: "Round trip",
		BaseURL: "https://herald.example/", Author: feed.Author{Name: "Herald"}, Items: items,
	}
	for _, format := range feed.Formats {
		t.Run(format.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := format.Render(&buf, fd); err != nil {
				t.Fatal(err)
			}
			parsed, err := gofeed.NewParser().Parse(&buf)
			if err != nil {
				t.Fatalf("parsing our %s: %v", format.Name, err)
			}
			var got []key
			for _, it := range parsed.Items {
				got = append(got, key{it.Title, it.Link, it.GUID})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip through %s (-want +got):\n%s", format.Name, diff)
			}
		})
	}
}
