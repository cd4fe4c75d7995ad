package replica_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/replica"
	"github.com/heraldfeed/herald/internal/server"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/postgres"
	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
)

// node is one replica under test: what it serves and whether it leads.
type node struct {
	rep      *replica.Replica
	st       *postgres.Store
	mu       sync.Mutex
	pub      replica.Publication
	switched []time.Time   // when each publication was served
	led      chan struct{} // receives when Lead starts
	stop     func()
}

func (n *node) served() []feed.File {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pub.Pages
}

func startNode(t *testing.T, dbURL, id string, now func() time.Time) *node {
	return startNodeWith(t, dbURL, id, func(o *replica.Options) { o.Now = now })
}

// startNodeWith starts a replica with options of the test's (set, which
// may replace the store, after the defaults).
func startNodeWith(t *testing.T, dbURL, id string, set func(*replica.Options)) *node {
	t.Helper()
	st, err := postgres.Open(context.Background(), dbURL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{st: st, led: make(chan struct{}, 10)}
	opts := replica.Options{
		Store: st, ID: id, Interval: 200 * time.Millisecond,
		Serve: func(pub replica.Publication) {
			n.mu.Lock()
			n.pub = pub
			n.switched = append(n.switched, time.Now())
			n.mu.Unlock()
		},
		Lead: func(ctx context.Context) {
			n.led <- struct{}{}
			<-ctx.Done()
		},
	}
	set(&opts)
	n.rep, err = replica.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.rep.Run(ctx) }()
	var once sync.Once
	n.stop = func() { once.Do(func() { cancel(); <-done; st.Close() }) }
	t.Cleanup(n.stop)
	return n
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func page(path, body string, modified time.Time) feed.File {
	return feed.File{Path: path, MediaType: "application/rss+xml", Body: []byte(body), Modified: modified}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestPublishAndFollow: the leader stamps and publishes; the follower
// serves the very same pages (bytes and Last-Modified) soon after; an
// unchanged page keeps its stamp, a changed one with an older date gets
// the leader's clock, a page left out is removed everywhere.
func TestPublishAndFollow(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	clock := t0.Add(time.Hour)
	now := func() time.Time { return clock }
	a := startNode(t, dbURL, "a", now)
	<-a.led
	b := startNode(t, dbURL, "b", now)
	waitUntil(t, "b to follow", 5*time.Second, func() bool { return b.rep.Status().Leader == "a" })
	if st := b.rep.Status(); st.Role != server.RoleFollower || st.Database != "ok" {
		t.Fatalf("b: %+v", st)
	}

	ctx := context.Background()
	gen := func(p feed.File, g int64) feed.File { p.Gen = g; return p }
	r1, r2 := store.Revs{"notes": 1}, store.Revs{"notes": 2}
	steps := []struct {
		name      string
		build     []feed.File
		revs      store.Revs
		published bool
		want      []feed.File // the stamped publication; Gen: the step that changed it
	}{
		{"first", []feed.File{page("a.rss", "one", t0), page("b.rss", "bee", t0)}, r1, true,
			[]feed.File{gen(page("a.rss", "one", t0), 1), gen(page("b.rss", "bee", t0), 1)}},
		{"unchanged bytes, later date: stamp kept, nothing published", []feed.File{page("a.rss", "one", t0.Add(time.Minute)), page("b.rss", "bee", t0)}, r1, false,
			[]feed.File{gen(page("a.rss", "one", t0), 1), gen(page("b.rss", "bee", t0), 1)}},
		{"unchanged bytes, the log moved: published", []feed.File{page("a.rss", "one", t0), page("b.rss", "bee", t0)}, r2, true,
			[]feed.File{gen(page("a.rss", "one", t0), 1), gen(page("b.rss", "bee", t0), 1)}},
		{"changed bytes, older date: the leader's clock", []feed.File{page("a.rss", "two", t0.Add(-time.Hour)), page("b.rss", "bee", t0)}, r2, true,
			[]feed.File{gen(page("a.rss", "two", clock), 3), gen(page("b.rss", "bee", t0), 1)}},
		{"page removed", []feed.File{page("a.rss", "two", t0)}, r2, true,
			[]feed.File{gen(page("a.rss", "two", clock), 3)}},
	}
	var base int64 // the generation before the first step
	for i, step := range steps {
		g, published, err := a.rep.Publish(ctx, step.build, step.revs)
		if err != nil {
			t.Fatalf("%s: Publish: %v", step.name, err)
		}
		if i == 0 {
			base = g - 1
		}
		if published != step.published {
			t.Errorf("%s: published = %v, want %v", step.name, published, step.published)
		}
		want := slices.Clone(step.want)
		for j := range want {
			want[j].Gen += base
		}
		if diff := cmp.Diff(want, a.served()); diff != "" {
			t.Errorf("%s: leader serves (-want +got):\n%s", step.name, diff)
		}
		start := time.Now()
		waitUntil(t, step.name+": b to catch up", 5*time.Second, func() bool { return b.rep.Status().Generation == g })
		t.Logf("%s: follower caught up in %v", step.name, time.Since(start).Round(time.Millisecond))
		b.mu.Lock()
		got := b.pub
		b.mu.Unlock()
		if diff := cmp.Diff(replica.Publication{Gen: g, Pages: want, Revs: step.revs}, got); diff != "" {
			t.Errorf("%s: follower serves (-want +got):\n%s", step.name, diff)
		}
	}
}

// TestTakeover: when the leader stops, a follower leads within a few
// intervals, starting from the publication; the old leader's store can
// no longer publish.
func TestTakeover(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	a := startNode(t, dbURL, "a", nil)
	<-a.led
	if _, _, err := a.rep.Publish(context.Background(), []feed.File{page("a.rss", "one", t0)}, nil); err != nil {
		t.Fatal(err)
	}
	b := startNode(t, dbURL, "b", nil)
	waitUntil(t, "b to serve a's publication", 5*time.Second, func() bool { return len(b.served()) == 1 })

	a.stop()
	select {
	case <-b.led:
	case <-time.After(5 * time.Second):
		t.Fatal("b did not lead within 5 s of a stopping")
	}
	if st := b.rep.Status(); st.Role != server.RoleLeader || st.Leader != "b" {
		t.Errorf("b: %+v", st)
	}
	// Unchanged bytes keep the stamp a published: b compared against it.
	if _, _, err := b.rep.Publish(context.Background(), []feed.File{page("a.rss", "one", t0.Add(time.Hour))}, nil); err != nil {
		t.Fatal(err)
	}
	if got := b.served(); len(got) != 1 || !got[0].Modified.Equal(t0) {
		t.Errorf("b serves %+v, want a.rss stamped %v", got, t0)
	}
}

// TestDatabaseLost: a follower whose database goes away keeps serving
// what it had and says it is degraded; when the database is back it
// says so and follows again by itself.
func TestDatabaseLost(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	a := startNode(t, dbURL, "a", nil)
	<-a.led
	if _, _, err := a.rep.Publish(context.Background(), []feed.File{page("a.rss", "one", t0)}, nil); err != nil {
		t.Fatal(err)
	}
	proxy := pgtest.NewProxy(t, dbURL)
	b := startNode(t, proxy.URL, "b", nil)
	waitUntil(t, "b to serve a's publication", 5*time.Second, func() bool { return len(b.served()) == 1 })

	proxy.Cut()
	waitUntil(t, "b to report the database unreachable", 10*time.Second, func() bool {
		return b.rep.Status().Database == "unreachable"
	})
	if got := b.served(); len(got) != 1 || string(got[0].Body) != "one" {
		t.Errorf("b, degraded, serves %+v, want what it had", got)
	}
	gen, _, err := a.rep.Publish(context.Background(), []feed.File{page("a.rss", "two", t0)}, nil)
	if err != nil {
		t.Fatal(err)
	}

	proxy.Restore()
	waitUntil(t, "b to reconnect and catch up", 15*time.Second, func() bool {
		st := b.rep.Status()
		return st.Database == "ok" && st.Generation == gen
	})
	if got := b.served(); len(got) != 1 || string(got[0].Body) != "two" {
		t.Errorf("b after reconnecting serves %+v, want the new publication", got)
	}
}

// countPublished counts the store's Published calls; its notices never
// come, so a follower learns of a publication only when it asks.
type countPublished struct {
	store.Shared
	n atomic.Int32
}

func (c *countPublished) Published(ctx context.Context, after int64) (store.Publication, error) {
	c.n.Add(1)
	return c.Shared.Published(ctx, after)
}

func (*countPublished) Changes(ctx context.Context) <-chan int64 {
	ch := make(chan int64)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// TestCatchUp: a follower shown a publication it has not heard of (a
// reader's If-None-Match, from a replica that serves it) serves it when
// CatchUp returns, whatever its clock; a publication that does not exist
// costs one round; concurrent calls share rounds.
func TestCatchUp(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	a := startNode(t, dbURL, "a", nil)
	<-a.led
	var counted *countPublished
	skewed := func() time.Time { return time.Now().Add(-5 * time.Second) }
	b := startNodeWith(t, dbURL, "b", func(o *replica.Options) {
		counted = &countPublished{Shared: o.Store}
		o.Store, o.Interval, o.Now = counted, time.Hour, skewed // never checks by itself
	})
	waitUntil(t, "b to start", 5*time.Second, func() bool { return counted.n.Load() > 0 })
	gen, _, err := a.rep.Publish(context.Background(), []feed.File{page("a.rss", "one", t0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.rep.Live(); got == gen {
		t.Fatalf("b serves %d without notices or checks: the test proves nothing", got)
	}
	var wg sync.WaitGroup
	before := counted.n.Load()
	for range 50 {
		wg.Go(func() { b.rep.CatchUp(context.Background(), gen) })
	}
	wg.Wait()
	if got := b.rep.Live(); got != gen {
		t.Fatalf("after CatchUp(%d) b serves %d", gen, got)
	}
	if n := counted.n.Load() - before; n < 1 || n > 3 {
		t.Errorf("50 concurrent CatchUps read the publication %d times, want 1 to 3", n)
	}
	start := time.Now()
	b.rep.CatchUp(context.Background(), gen+100)
	if d := time.Since(start); d > time.Second {
		t.Errorf("CatchUp to a publication that does not exist took %v", d)
	}
	if got := b.rep.Live(); got != gen {
		t.Errorf("b serves %d, want %d", got, gen)
	}
}
