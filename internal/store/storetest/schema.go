package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// Schema is what the migration cases need of a backend.
type Schema struct {
	// New returns a fresh, empty place for a store: a folder, a
	// database URL.
	New func(t *testing.T) string
	// Open opens (creating and migrating) the store at place.
	Open func(ctx context.Context, place string) (store.Store, error)
	// Version returns the schema version of the store at place, and
	// SetVersion sets it, as a newer Herald would have.
	Version    func(t *testing.T, place string) int
	SetVersion func(t *testing.T, place string, v int)
	// Want is the schema version this Herald writes.
	Want int
	// Write, if set, readies s to write (a shared store takes the lease)
	// and returns what ends it.
	Write func(t *testing.T, s store.Store) (done func())
}

func (b *Schema) write(t *testing.T, s store.Store) func() {
	if b.Write == nil {
		return func() {}
	}
	return b.Write(t, s)
}

// RunSchema runs the migration cases: opening twice is a no-op, several
// openers of a fresh place at once all succeed on one schema, and a newer
// schema is refused with store.ErrNewer.
func RunSchema(t *testing.T, b Schema) {
	ctx := context.Background()
	t.Run("OpenTwice", func(t *testing.T) {
		place := b.New(t)
		s, err := b.Open(ctx, place)
		if err != nil {
			t.Fatal(err)
		}
		done := b.write(t, s)
		save(t, s, t0, store.Retention{}, Article("a", "a", t0))
		done()
		s.Close()
		s, err = b.Open(ctx, place)
		if err != nil {
			t.Fatalf("second Open: %v", err)
		}
		defer s.Close()
		if got := ids(articles(t, s, "src")); len(got) != 1 {
			t.Errorf("after reopening: articles %v, want [a]", got)
		}
		if v := b.Version(t, place); v != b.Want {
			t.Errorf("schema version %d, want %d", v, b.Want)
		}
	})
	t.Run("ConcurrentOpen", func(t *testing.T) {
		place := b.New(t)
		const n = 6
		var wg sync.WaitGroup
		stores := make([]store.Store, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { stores[i], errs[i] = b.Open(ctx, place) })
		}
		wg.Wait()
		for i, s := range stores {
			if errs[i] != nil {
				t.Errorf("opener %d: %v", i, errs[i])
				continue
			}
			defer s.Close()
			src := fmt.Sprint("src", i)
			done := b.write(t, s)
			if _, err := s.Save(ctx, store.Collection{Key: src, Source: src, Now: t0,
				Articles: []feed.Article{Article("a", "a", t0)}}); err != nil {
				t.Errorf("opener %d: Save: %v", i, err)
			}
			done()
		}
		if t.Failed() {
			return
		}
		for i := range n {
			if got := articles(t, stores[0], fmt.Sprint("src", i)); len(got) != 1 {
				t.Errorf("src%d has %d articles, want 1", i, len(got))
			}
		}
		if v := b.Version(t, place); v != b.Want {
			t.Errorf("schema version %d, want %d", v, b.Want)
		}
	})
	t.Run("Newer", func(t *testing.T) {
		place := b.New(t)
		s, err := b.Open(ctx, place)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		b.SetVersion(t, place, b.Want+1)
		s, err = b.Open(ctx, place)
		if err == nil {
			s.Close()
			t.Fatal("Open of a newer schema succeeded")
		}
		if !errors.Is(err, store.ErrNewer) {
			t.Errorf("error %v is not store.ErrNewer", err)
		}
		if want := fmt.Sprintf("schema version %d", b.Want+1); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		if v := b.Version(t, place); v != b.Want+1 {
			t.Errorf("refusing changed the schema version to %d", v)
		}
	})
}
