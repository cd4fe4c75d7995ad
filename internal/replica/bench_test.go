package replica_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/replica"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/postgres"
	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
)

// noNotices is a shared store whose change notices never come, so
// followers see publications by their periodic check alone.
type noNotices struct{ store.Shared }

func (noNotices) Changes(ctx context.Context) <-chan int64 {
	ch := make(chan int64)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// BenchmarkPropagation: the time from a publication (the leader's
// Publish called: its commit, then the notice) to the last of two
// followers serving it,
// with a feed-sized page (128 KB) changed each time. "notify" is the
// normal path (LISTEN/NOTIFY); "fallback" has no notices, only the
// periodic check every DefaultInterval. Reports p50-ms and max-ms.
//
//	HERALD_TEST_DATABASE_URL=... go test ./internal/replica -run '^$' -bench Propagation -benchtime 50x
func BenchmarkPropagation(b *testing.B) {
	for _, mode := range []string{"notify", "fallback"} {
		b.Run(mode, func(b *testing.B) {
			dbURL := pgtest.NewDatabase(b)
			open := func(id string, serve func([]store.Page), lead func(ctx context.Context)) *replica.Replica {
				pg, err := postgres.Open(context.Background(), dbURL)
				if err != nil {
					b.Fatal(err)
				}
				var st store.Shared = pg
				if mode == "fallback" {
					st = noNotices{pg}
				}
				r, err := replica.New(replica.Options{Store: st, ID: id, Serve: serve, Lead: lead})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); r.Run(ctx) }()
				b.Cleanup(func() { cancel(); <-done; pg.Close() })
				return r
			}
			led := make(chan struct{})
			leader := open("leader", func([]store.Page) {}, func(ctx context.Context) { close(led); <-ctx.Done() })
			<-led
			served := make(chan struct{}, 16)
			var followers []*replica.Replica
			for i := range 2 {
				followers = append(followers, open(fmt.Sprint("f", i), func([]store.Page) { served <- struct{}{} }, func(ctx context.Context) { <-ctx.Done() }))
			}
			var took []time.Duration
			b.ResetTimer()
			for i := range b.N {
				body := make([]byte, 128<<10) // a new build: Publish keeps the pages it is given
				copy(body, fmt.Sprintf("publication %d", i))
				start := time.Now()
				gen, err := leader.Publish(context.Background(), []store.Page{{Path: "world.rss", MediaType: "application/rss+xml", Body: body, Modified: time.Now()}})
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range followers {
					for f.Status().Generation < gen {
						select {
						case <-served:
						case <-time.After(time.Millisecond):
						}
					}
				}
				took = append(took, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
		})
	}
}
