package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"

	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestTwoOpeners: two stores on one data_dir (as serve and a generate run
// beside it, each with its own connections and file locks) write at once
// without errors or lost writes: a writer waits for the other.
func TestTwoOpeners(t *testing.T) {
	dir := t.TempDir()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const rounds = 30
	errs := make(chan error, 2)
	for i, s := range stores {
		go func() {
			src := fmt.Sprint("src", i)
			for n := range rounds {
				a := storetest.Article(fmt.Sprint(src, "-", n), "x", time.Unix(int64(n), 0).UTC())
				if _, err := s.Save(context.Background(), store.Collection{Key: src, Source: src, Now: time.Unix(int64(n), 0),
					Articles: []feed.Article{a}}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range stores {
		arts, err := stores[1-i].Articles(context.Background(), fmt.Sprint("src", i), 0)
		if err != nil || len(arts) != rounds {
			t.Errorf("src%d: %d articles (%v), want %d", i, len(arts), err, rounds)
		}
	}
}
