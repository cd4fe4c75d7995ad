package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
	"github.com/heraldfeed/herald/internal/store/sqlite"
)

// The stored articles of BenchmarkCollect100k: a publisher with a
// hundred sources that each keep a history of a thousand (the retention
// config.yaml suggests). A collection reads and rewrites one source's
// history, so how the 100,000 are spread matters: one source of 100,000
// would measure a history no source reaches with retention on.
const (
	benchSources = 100
	benchHistory = 1000
	benchFeed    = 50 // what a collection returns: the feed's newest
)

// BenchmarkCollect100k is the extra time a collection takes on PostgreSQL
// against SQLite, on stores holding 100,000 articles: each op saves one
// collection of one source (its 50 newest, 2 of them new and 1 edited),
// with retention removing the 2 oldest. Setup (filling each store) is
// done once per backend and not timed.
//
//	go test -run '^$' -bench Collect100k -benchtime 20x ./internal/store/postgres
func BenchmarkCollect100k(b *testing.B) {
	ctx := context.Background()
	parent := b
	for _, be := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store {
			dir, err := os.MkdirTemp("", "herald-bench-")
			if err != nil {
				b.Fatal(err)
			}
			parent.Cleanup(func() { os.RemoveAll(dir) })
			s, err := sqlite.Open(ctx, dir)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) store.Store {
			dbURL, drop, err := pgtest.Create(pgtest.Server(b))
			if err != nil {
				b.Fatal(err)
			}
			parent.Cleanup(func() { drop() })
			s, err := Open(ctx, dbURL, 0)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		// The store outlives the sub-benchmark's runs (b.N 1, then 20):
		// it is filled once, closed when the parent ends.
		var w *workload
		b.Run(be.name, func(b *testing.B) {
			if w == nil {
				s := be.open(b)
				parent.Cleanup(func() { s.Close() })
				w = fill(b, s)
			}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				w.collect(b)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/op")
		})
	}
}

type workload struct {
	s     store.Store
	feeds [][]feed.Article // each source's newest, oldest first
	next  []int            // each source's next article number
	now   time.Time
	ops   int
}

var benchT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// benchArticle is article i of source src, about the size of a blog
// post's feed item (1.5 KB of JSON).
func benchArticle(src, i int) feed.Article {
	id := fmt.Sprintf("s%03d-%05d", src, i)
	pub := benchT0.Add(time.Duration(i) * time.Hour)
	return feed.Article{
		ID: "https://example.com/" + id, URL: "https://example.com/" + id, Title: "Article " + id,
		Summary:   strings.Repeat("A summary of the article. ", 8),
		Content:   "<p>" + strings.Repeat("Paragraph of the article's text, sanitized HTML. ", 24) + id + "</p>",
		Tags:      []string{"news", "bench"},
		Published: pub, Updated: pub, Source: fmt.Sprint("src", src),
	}
}

var benchRetention = store.Retention{Keep: benchHistory}

// fill stores benchSources histories of benchHistory articles, one
// collection per source.
func fill(b *testing.B, s store.Store) *workload {
	w := &workload{s: s, feeds: make([][]feed.Article, benchSources), next: make([]int, benchSources),
		now: benchT0.Add(benchHistory * time.Hour)}
	start := time.Now()
	for src := range benchSources {
		list := make([]feed.Article, benchHistory)
		for i := range list {
			list[i] = benchArticle(src, i)
		}
		if _, err := s.Save(context.Background(), store.Collection{Key: fmt.Sprint("src", src, "@k"), Source: fmt.Sprint("src", src),
			Articles: list, Now: w.now, Retention: benchRetention}); err != nil {
			b.Fatal(err)
		}
		w.feeds[src] = list[benchHistory-benchFeed:]
		w.next[src] = benchHistory
	}
	b.Logf("filled %d articles in %v", benchSources*benchHistory, time.Since(start).Round(time.Millisecond))
	return w
}

// collect saves the next source's collection: its feed with 2 new
// articles and the newest known one edited.
func (w *workload) collect(b *testing.B) {
	src := w.ops % benchSources
	w.ops++
	w.now = w.now.Add(time.Minute)
	list := w.feeds[src]
	edited := list[len(list)-1]
	edited.Content += fmt.Sprintf("<p>Edit %d.</p>", w.ops)
	list = append(append([]feed.Article(nil), list[2:len(list)-1]...), edited)
	for range 2 {
		list = append(list, benchArticle(src, w.next[src]))
		w.next[src]++
	}
	w.feeds[src] = list
	changed, err := w.s.Save(context.Background(), store.Collection{Key: fmt.Sprint("src", src, "@k"), Source: fmt.Sprint("src", src),
		Articles: list, Now: w.now, Retention: benchRetention})
	if err != nil || !changed {
		b.Fatalf("Save = %v, %v; want a change", changed, err)
	}
}
