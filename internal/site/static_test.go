package site

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
)

func TestFavicon(t *testing.T) {
	ico := favicon()
	if !bytes.HasPrefix(ico, []byte{0, 0, 1, 0, 1, 0, 32, 32}) {
		t.Fatalf("not a one-image 32×32 ICO: % x", ico[:8])
	}
	img, err := png.Decode(bytes.NewReader(ico[22:]))
	if err != nil {
		t.Fatalf("the ICO's image: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Errorf("favicon is %v", b)
	}
	if !bytes.Equal(ico, favicon()) {
		t.Error("favicon bytes differ between calls")
	}
}

// TestBuildBrowserFiles: a build has each feed's page, the stylesheet its
// RSS and Atom name, and the favicon, and the index links the page.
func TestBuildBrowserFiles(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b := New(Site{Title: "T", BaseURL: "http://x.example/", Feeds: []FeedSpec{{Name: "world", Title: "World", Sources: []string{"s"}, Filter: feed.Filter{Limit: 10}}}},
		Options{Log: testLog(t, now, map[string][]feed.Article{"s": {{ID: "urn:x:1", Title: "An item", URL: "http://x.example/1", Summary: "Said briefly.", Published: now, Updated: now}}})})
	files, err := b.Build(context.Background(), []Input{{Name: "s", OK: true, Collected: true}}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]feed.File{}
	for _, f := range files {
		got[f.Path] = f
	}
	for path, want := range map[string][]string{
		"world.html":  {"<h1>World</h1>", "An item", "Said briefly.", "<code>http://x.example/world.rss</code>", `href="world.rss"`},
		"world.rss":   {`<?xml-stylesheet type="text/css" href="feed.css"?>`},
		"world.atom":  {`<?xml-stylesheet type="text/css" href="feed.css"?>`},
		"index.html":  {`<a href="world.html">World</a>`, `<link rel="icon" href="favicon.ico">`},
		"feed.css":    {"rss,feed{display:block"},
		"favicon.ico": {"\x00\x00\x01\x00"},
	} {
		f, ok := got[path]
		if !ok {
			t.Errorf("no %s in the build", path)
			continue
		}
		for _, w := range want {
			if !strings.Contains(string(f.Body), w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
	}
	if strings.Contains(string(got["world.json"].Body), "feed.css") {
		t.Error("the JSON Feed names the stylesheet")
	}
}
