package site

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// TestFollow: a Builder that never built, following the paths of another
// one's build, renders an article page byte for byte as the builder
// itself does (replicas serve the same pages).
func TestFollow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	art := feed.Article{ID: "a1", Title: "One", Content: "<p>Body</p>", URL: "http://x.example/articles/one.html",
		Page: "articles/one.html", Source: "notes", Published: now, Updated: now}
	s := Site{Title: "T", BaseURL: "http://x.example/", Feeds: []FeedSpec{
		{Name: "all", Title: "Everything", Description: "All of it", Sources: []string{"notes", "web"}},
		{Name: "notes", Title: "Notes", Sources: []string{"notes"}},
		{Name: "web", Title: "Web", Sources: []string{"web"}}, // its source never collected: not published
	}}
	opts := Options{Log: testLog(t, now, map[string][]feed.Article{"notes": {art}})}
	leader := New(s, opts)
	files, err := leader.Build(context.Background(), []Input{
		{Name: "notes", Collected: true, OK: true},
		{Name: "web", Collected: true},
	}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	want, ok, err := leader.Page(context.Background(), art.Page)
	if err != nil || !ok {
		t.Fatalf("leader page: %v %v", ok, err)
	}
	if !bytes.Contains(want.Body, []byte("notes.rss")) || bytes.Contains(want.Body, []byte("web.rss")) {
		t.Fatalf("leader page does not link the published feeds only:\n%s", want.Body)
	}

	follower := New(s, opts)
	follower.Follow(paths)
	got, ok, err := follower.Page(context.Background(), art.Page)
	if err != nil || !ok {
		t.Fatalf("follower page: %v %v", ok, err)
	}
	if !bytes.Equal(got.Body, want.Body) || !got.Modified.Equal(want.Modified) {
		t.Errorf("follower page differs from the leader's:\n got %s\nwant %s", got.Body, want.Body)
	}
}
