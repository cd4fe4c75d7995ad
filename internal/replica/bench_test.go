package replica_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// benchNode is a replica of the benchmark: when it had each publication
// prepared and when it served it.
type benchNode struct {
	rep             *replica.Replica
	mu              sync.Mutex
	ready, served   map[int64]time.Time
	gen             int64 // set by the benchmark before each publication
	readyC, servedC chan struct{}
}

// BenchmarkPropagation: a leader and two followers on one database, each
// with a real server; each op publishes a changed feed-sized page (128 KB).
//
//   - ready-ms: from the leader's Publish call (its commit, the notice)
//     to the last replica holding the publication prepared (read,
//     compressed, headers rendered), p50 and max. "notify" is the normal path
//     (LISTEN/NOTIFY); "fallback" has no notices, only the periodic
//     check every DefaultInterval.
//
//   - skew-ms ("notify"): between the first and the last replica serving
//     it, at the switch instant (commit + Settle, 200 ms here), p50 and
//     max: the window in which a reader moved between replicas could
//     meet the older version after the newer.
//
//     HERALD_TEST_DATABASE_URL=... go test ./internal/replica -run '^$' -bench Propagation -benchtime 50x
func BenchmarkPropagation(b *testing.B) {
	for _, mode := range []string{"notify", "fallback"} {
		b.Run(mode, func(b *testing.B) {
			dbURL := pgtest.NewDatabase(b)
			settle := 200 * time.Millisecond
			if mode == "fallback" {
				settle = -1
			}
			open := func(id string, lead func(ctx context.Context)) *benchNode {
				pg, err := postgres.Open(context.Background(), dbURL)
				if err != nil {
					b.Fatal(err)
				}
				var st store.Shared = pg
				if mode == "fallback" {
					st = noNotices{pg}
				}
				n := &benchNode{ready: map[int64]time.Time{}, served: map[int64]time.Time{},
					readyC: make(chan struct{}, 1), servedC: make(chan struct{}, 1)}
				// A real server: preparing compresses the page.
				srv, err := server.New(server.Options{})
				if err != nil {
					b.Fatal(err)
				}
				n.rep, err = replica.New(replica.Options{Store: st, ID: id, Lead: lead, Settle: settle,
					Prepare: func(pages []store.Page, _ func()) (func(), func()) {
						snap := server.Snapshot{Stamped: true}
						for _, p := range pages {
							snap.Pages = append(snap.Pages, server.Page{Path: p.Path, MediaType: p.MediaType, Body: p.Body, Modified: p.Modified})
						}
						prepared := srv.Prepare(snap)
						n.mu.Lock()
						gen := n.gen
						n.ready[gen] = time.Now()
						n.mu.Unlock()
						signal(n.readyC)
						return func() {
								srv.Activate(prepared)
								n.mu.Lock()
								n.served[gen] = time.Now()
								n.mu.Unlock()
								signal(n.servedC)
							}, func() {
								srv.Discard(prepared)
							}
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
			var ready, skew []time.Duration
			b.ResetTimer()
			for i := range b.N {
				gen := int64(i + 1)
				for _, n := range nodes {
					n.mu.Lock()
					n.gen = gen
					n.mu.Unlock()
				}
				// A new build (Publish keeps the pages it is given), of
				// feed-like text, which compresses as feeds do.
				body := []byte(strings.Repeat(fmt.Sprintf("<item><title>Story %d of publication %d</title></item>\n", i%97, i), 4000))[:128<<10]
				start := time.Now()
				if _, _, err := leader.rep.Publish(context.Background(), []store.Page{{Path: "world.rss", MediaType: "application/rss+xml", Body: body, Modified: time.Now()}}); err != nil {
					b.Fatal(err)
				}
				var last, first, lastServed time.Time
				for _, n := range nodes {
					r := wait(n, n.ready, n.readyC, gen)
					s := wait(n, n.served, n.servedC, gen)
					if r.After(last) {
						last = r
					}
					if first.IsZero() || s.Before(first) {
						first = s
					}
					if s.After(lastServed) {
						lastServed = s
					}
				}
				ready = append(ready, last.Sub(start))
				skew = append(skew, lastServed.Sub(first))
			}
			b.StopTimer()
			report(b, ready, "ready")
			if settle > 0 {
				report(b, skew, "skew")
			}
		})
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wait returns when n recorded gen in m, waiting on ch.
func wait(n *benchNode, m map[int64]time.Time, ch chan struct{}, gen int64) time.Time {
	for {
		n.mu.Lock()
		t, ok := m[gen]
		n.mu.Unlock()
		if ok {
			return t
		}
		select {
		case <-ch:
		case <-time.After(time.Millisecond):
		}
	}
}

func report(b *testing.B, d []time.Duration, name string) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, name+"-p50-ms")
	b.ReportMetric(float64(d[len(d)-1].Microseconds())/1000, name+"-max-ms")
}
