package site

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
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
	inputs := []Input{
		{Name: "notes", Collected: true, OK: true},
		{Name: "web", Collected: true},
	}
	var revs store.Revs
	files, err := leader.Build(context.Background(), inputs, now, func(_ []feed.File, r store.Revs) { revs = r })
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
	follower.Follow(paths, revs)
	got, ok, err := follower.Page(context.Background(), art.Page)
	if err != nil || !ok {
		t.Fatalf("follower page: %v %v", ok, err)
	}
	if !bytes.Equal(got.Body, want.Body) || !got.Modified.Equal(want.Modified) {
		t.Errorf("follower page differs from the leader's:\n got %s\nwant %s", got.Body, want.Body)
	}

	// The log moves past the publication followed (an edit, a removal):
	// the follower does not serve the next publication's page early.
	edited := art
	edited.Content, edited.Updated = "<p>Edited</p>", now.Add(time.Hour)
	commit(t, opts.Log.(store.Store), now.Add(time.Hour), map[string][]feed.Article{"notes": {edited}})
	for _, path := range []string{art.Page, "articles/none.html"} {
		if _, _, err := follower.Page(context.Background(), path); !errors.Is(err, ErrAhead) {
			t.Errorf("Page(%s) after the log moved on = %v, want ErrAhead", path, err)
		}
	}
	if latest, ok, err := follower.PageLatest(context.Background(), art.Page); err != nil || !ok || !bytes.Contains(latest.Body, []byte("Edited")) {
		t.Errorf("PageLatest = %v, %v: want the edit", ok, err)
	}
	// The next publication covers the edit.
	if _, err := leader.Build(context.Background(), inputs, now.Add(time.Hour), func(_ []feed.File, r store.Revs) { revs = r }); err != nil {
		t.Fatal(err)
	}
	follower.Follow(paths, revs)
	if got, ok, err := follower.Page(context.Background(), art.Page); err != nil || !ok || !bytes.Contains(got.Body, []byte("Edited")) {
		t.Errorf("Page under the next publication = %v, %v: want the edit", ok, err)
	}
	if _, ok, err := follower.Page(context.Background(), "articles/none.html"); err != nil || ok {
		t.Errorf("Page(none) = %v, %v: want none", ok, err)
	}
}
