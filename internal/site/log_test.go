package site

import (
	"context"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// testLog returns a log holding each source's articles, committed as one
// collection per source at now.
func testLog(t *testing.T, now time.Time, bySource map[string][]feed.Article) *store.Memory {
	t.Helper()
	st := store.NewMemory()
	commit(t, st, now, bySource)
	return st
}

// commit saves one collection of each source in bySource to st at now.
func commit(t *testing.T, st store.Store, now time.Time, bySource map[string][]feed.Article) {
	t.Helper()
	for name, list := range bySource {
		if list == nil {
			list = []feed.Article{}
		}
		if _, err := st.Save(context.Background(), store.Collection{Key: name, Source: name, Articles: list, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
}

// buildAll is what generate writes: a Build and its Rest.
func buildAll(t *testing.T, b *Builder, inputs []Input, now time.Time) []feed.File {
	t.Helper()
	files, err := b.Build(context.Background(), inputs, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range inputs {
		names = append(names, in.Name)
	}
	if err := b.Rest(context.Background(), names, func(f feed.File) error {
		files = append(files, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return files
}
