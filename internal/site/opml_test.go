package site

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
)

// TestOPML renders feeds.opml and parses it back as a reader importing it
// would: every feed, with absolute URLs, attributes escaped.
func TestOPML(t *testing.T) {
	site := &Site{Title: `News & "views"`, BaseURL: "http://x.example/sub/"}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f, err := renderOPML(site, []*feed.Feed{
		{Name: "world", Title: "World <all>", Description: "Everything", Language: "en", Items: []feed.Article{{Published: now}}},
		{Name: "local", Title: "Local"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != "feeds.opml" || f.MediaType != "text/x-opml; charset=utf-8" || !f.Modified.Equal(now) {
		t.Errorf("file %s, %s, modified %v", f.Path, f.MediaType, f.Modified)
	}
	var got struct {
		Version string `xml:"version,attr"`
		Title   string `xml:"head>title"`
		Body    []struct {
			Type    string `xml:"type,attr"`
			Text    string `xml:"text,attr"`
			XMLURL  string `xml:"xmlUrl,attr"`
			HTMLURL string `xml:"htmlUrl,attr"`
		} `xml:"body>outline"`
	}
	if err := xml.Unmarshal(f.Body, &got); err != nil {
		t.Fatalf("parsing back: %v\n%s", err, f.Body)
	}
	type outline = struct {
		Type    string `xml:"type,attr"`
		Text    string `xml:"text,attr"`
		XMLURL  string `xml:"xmlUrl,attr"`
		HTMLURL string `xml:"htmlUrl,attr"`
	}
	want := []outline{
		{"rss", "World <all>", "http://x.example/sub/world.rss", "http://x.example/sub/world.html"},
		{"rss", "Local", "http://x.example/sub/local.rss", "http://x.example/sub/local.html"},
	}
	if got.Version != "2.0" || got.Title != site.Title {
		t.Errorf("version %q, title %q", got.Version, got.Title)
	}
	if diff := cmp.Diff(want, got.Body); diff != "" {
		t.Errorf("outlines (-want +got):\n%s", diff)
	}
}
