package replica_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	pages    []store.Page
	switched []time.Time   // when each publication was served
	led      chan struct{} // receives when Lead starts
	stop     func()
}

func (n *node) served() []store.Page {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pages
}

func startNode(t *testing.T, dbURL, id string, now func() time.Time) *node {
	return startNodeSettle(t, dbURL, id, now, -1)
}

func startNodeSettle(t *testing.T, dbURL, id string, now func() time.Time, settle time.Duration) *node {
	t.Helper()
	st, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{st: st, led: make(chan struct{}, 10)}
	n.rep, err = replica.New(replica.Options{
		Store: st, ID: id, Interval: 200 * time.Millisecond, Now: now, Settle: settle,
		Prepare: func(pages []store.Page, _ func()) (activate, discard func()) {
			return func() {
				n.mu.Lock()
				n.pages = pages
				n.switched = append(n.switched, time.Now())
				n.mu.Unlock()
			}, func() {}
		},
		Lead: func(ctx context.Context) {
			n.led <- struct{}{}
			<-ctx.Done()
		},
	})
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

func page(path, body string, modified time.Time) store.Page {
	return store.Page{Path: path, MediaType: "application/rss+xml", Body: []byte(body), Modified: modified}
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
	steps := []struct {
		name  string
		build []store.Page
		want  []store.Page // the stamped publication
	}{
		{"first", []store.Page{page("a.rss", "one", t0), page("b.rss", "bee", t0)},
			[]store.Page{page("a.rss", "one", t0), page("b.rss", "bee", t0)}},
		{"unchanged bytes, later date: stamp kept", []store.Page{page("a.rss", "one", t0.Add(time.Minute)), page("b.rss", "bee", t0)},
			[]store.Page{page("a.rss", "one", t0), page("b.rss", "bee", t0)}},
		{"changed bytes, older date: the leader's clock", []store.Page{page("a.rss", "two", t0.Add(-time.Hour)), page("b.rss", "bee", t0)},
			[]store.Page{page("a.rss", "two", clock), page("b.rss", "bee", t0)}},
		{"page removed", []store.Page{page("a.rss", "two", t0)},
			[]store.Page{page("a.rss", "two", clock)}},
	}
	for _, step := range steps {
		gen, _, err := a.rep.Publish(ctx, step.build)
		if err != nil {
			t.Fatalf("%s: Publish: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, a.served()); diff != "" {
			t.Errorf("%s: leader serves (-want +got):\n%s", step.name, diff)
		}
		start := time.Now()
		waitUntil(t, step.name+": b to catch up", 5*time.Second, func() bool { return b.rep.Status().Generation == gen })
		t.Logf("%s: follower caught up in %v", step.name, time.Since(start).Round(time.Millisecond))
		if diff := cmp.Diff(step.want, b.served()); diff != "" {
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
	if _, _, err := a.rep.Publish(context.Background(), []store.Page{page("a.rss", "one", t0)}); err != nil {
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
	if _, _, err := b.rep.Publish(context.Background(), []store.Page{page("a.rss", "one", t0.Add(time.Hour))}); err != nil {
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
	if _, _, err := a.rep.Publish(context.Background(), []store.Page{page("a.rss", "one", t0)}); err != nil {
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
	gen, _, err := a.rep.Publish(context.Background(), []store.Page{page("a.rss", "two", t0)})
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

// TestSwitchTogether: with a settle time, no replica, the leader
// included, serves a publication before its commit time plus the
// settle time, and every one serves it then, so a reader moved between
// them never meets the older version after the newer.
func TestSwitchTogether(t *testing.T) {
	const settle = 300 * time.Millisecond
	dbURL := pgtest.NewDatabase(t)
	a := startNodeSettle(t, dbURL, "a", nil, settle)
	<-a.led
	nodes := []*node{a, startNodeSettle(t, dbURL, "b", nil, settle), startNodeSettle(t, dbURL, "c", nil, settle)}
	waitUntil(t, "b and c to follow", 5*time.Second, func() bool {
		return nodes[1].rep.Status().Leader == "a" && nodes[2].rep.Status().Leader == "a"
	})
	pub, err := a.st.Published(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if pub.Gen != 0 {
		t.Fatalf("fresh database has publication %d", pub.Gen)
	}
	gen, switchAt, err := a.rep.Publish(context.Background(), []store.Page{page("a.rss", "one", t0)})
	if err != nil {
		t.Fatal(err)
	}
	if pub, err = a.st.Published(context.Background(), 0); err != nil || pub.Gen != gen {
		t.Fatalf("Published: %+v, %v", pub, err)
	}
	if want := pub.At.Add(settle); !switchAt.Equal(want) {
		t.Errorf("Publish says the switch is at %v, want commit + settle = %v", switchAt, want)
	}
	if got := a.rep.Status().Generation; got == gen {
		t.Errorf("the leader served publication %d at once, before its switch instant", gen)
	}
	for i, n := range nodes {
		waitUntil(t, "every replica to switch", 5*time.Second, func() bool { return n.rep.Status().Generation == gen })
		n.mu.Lock()
		when := n.switched[len(n.switched)-1]
		n.mu.Unlock()
		// One clock here (the database is on this machine): a switch
		// never comes before its instant.
		if when.Before(switchAt) {
			t.Errorf("replica %d switched at %v, before the instant %v", i, when, switchAt)
		}
		t.Logf("replica %d switched %v after the instant", i, when.Sub(switchAt).Round(time.Microsecond))
	}
}
