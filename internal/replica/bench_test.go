package replica_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/replica"
	"github.com/heraldfeed/herald/internal/server"
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

// benchNode is a replica of the benchmark: when it served each
// publication.
type benchNode struct {
	rep     *replica.Replica
	mu      sync.Mutex
	served  map[int64]time.Time
	servedC chan struct{}
}

// BenchmarkPropagation: a leader and two followers on one database, each
// with a real server; each op publishes a changed feed-sized page (128 KB).
// served-ms is from the leader's Publish call (its commit, the notice)
// to the last replica serving the publication (read, compressed,
// headers rendered), p50 and max: the window in which a reader without
// validators, moved between replicas, may meet the older version after
// the newer. "notify" is the normal path (LISTEN/NOTIFY); "fallback" has
// no notices, only the periodic check every Interval (a fifth of the lease).
//
//	HERALD_TEST_DATABASE_URL=... go test ./internal/replica -run '^$' -bench Propagation -benchtime 50x
func BenchmarkPropagation(b *testing.B) {
	for _, mode := range []string{"notify", "fallback"} {
		b.Run(mode, func(b *testing.B) {
			dbURL := pgtest.NewDatabase(b)
			open := func(id string, lead func(ctx context.Context)) *benchNode {
				pg, err := postgres.Open(context.Background(), dbURL, 0) // the default lease: its interval is what README gives
				if err != nil {
					b.Fatal(err)
				}
				var st store.Shared = pg
				if mode == "fallback" {
					st = noNotices{pg}
				}
				n := &benchNode{served: map[int64]time.Time{}, servedC: make(chan struct{}, 1)}
				// A real server: serving compresses the page.
				srv, err := server.New(server.Options{})
				if err != nil {
					b.Fatal(err)
				}
				n.rep, err = replica.New(replica.Options{Store: st, ID: id, Lead: lead,
					Serve: func(pub replica.Publication) {
						srv.Publish(server.Snapshot{Stamped: true, Gen: pub.Gen, Pages: pub.Pages})
						n.mu.Lock()
						n.served[pub.Gen] = time.Now()
						n.mu.Unlock()
						signal(n.servedC)
					}})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); n.rep.Run(ctx) }()
				b.Cleanup(func() { cancel(); <-done; pg.Close() })
				return n
			}
			led := make(chan struct{})
			leader := open("leader", func(ctx context.Context) { close(led); <-ctx.Done() })
			<-led
			nodes := []*benchNode{leader, open("f1", func(ctx context.Context) { <-ctx.Done() }), open("f2", func(ctx context.Context) { <-ctx.Done() })}
			var served []time.Duration
			b.ResetTimer()
			for i := range b.N {
				// A new build (Publish keeps the pages it is given), of
				// feed-like text, which compresses as feeds do.
				body := []byte(strings.Repeat(fmt.Sprintf("<item><title>Story %d of publication %d</title></item>\n", i%97, i), 4000))[:128<<10]
				start := time.Now()
				gen, _, err := leader.rep.Publish(context.Background(), []feed.File{{Path: "world.rss", MediaType: "application/rss+xml", Body: body, Modified: time.Now()}}, nil)
				if err != nil {
					b.Fatal(err)
				}
				var last time.Time
				for _, n := range nodes {
					if s := wait(n, gen); s.After(last) {
						last = s
					}
				}
				served = append(served, last.Sub(start))
			}
			b.StopTimer()
			report(b, served, "served")
		})
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wait returns when n served gen.
func wait(n *benchNode, gen int64) time.Time {
	for {
		n.mu.Lock()
		t, ok := n.served[gen]
		n.mu.Unlock()
		if ok {
			return t
		}
		select {
		case <-n.servedC:
		case <-time.After(time.Millisecond):
		}
	}
}

func report(b *testing.B, d []time.Duration, name string) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, name+"-p50-ms")
	b.ReportMetric(float64(d[len(d)-1].Microseconds())/1000, name+"-max-ms")
}
