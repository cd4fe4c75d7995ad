package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// Replicas are stores on one fresh database, as replicas see it.
type Replicas struct {
	// Open opens another store on the database: another replica.
	Open func(t *testing.T) store.Shared
	// Sever breaks, from the database's side, the connections of every
	// store on it of one kind: "lead" (holding leadership) or "changes"
	// (delivering Changes), as a network failure would. It fails t when
	// there was none.
	Sever func(t *testing.T, kind string)
	// Lease is how long the stores' leadership lasts without renewal.
	Lease time.Duration
}

// wait bounds what the cases wait for: leadership lost and taken over, a
// notice delivered, a listener reconnected.
const wait = 15 * time.Second

// RunShared runs the store.Shared suite, its cases in parallel; replicas
// returns a fresh database for each case.
func RunShared(t *testing.T, replicas func(t *testing.T) Replicas) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, r Replicas)
	}{
		{"LeadOnce", testLeadOnce},
		{"FencingAfterRelease", testFencingAfterRelease},
		{"FencingAfterSevered", testFencingAfterSevered},
		{"Publications", testPublications},
		{"ChangesFromAnotherStore", testChanges},
		{"ChangesReconnect", testChangesReconnect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each case has replicas of its own; most wait on a lease
			r := replicas(t)
			if r.Lease <= 0 {
				t.Fatal("storetest: Replicas.Lease not set")
			}
			tc.test(t, r)
		})
	}
}

func open(t *testing.T, r Replicas) store.Shared {
	s := r.Open(t)
	t.Cleanup(func() { s.Close() })
	return s
}

func lead(t *testing.T, s store.Shared, id string) store.Leadership {
	t.Helper()
	l, err := s.Lead(context.Background(), id)
	if err != nil {
		t.Fatalf("Lead(%s): %v", id, err)
	}
	return l
}

// leadWithin retries Lead, as a replica's leader loop does, until it
// succeeds or wait passes.
func leadWithin(t *testing.T, s store.Shared, id string) store.Leadership {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		l, err := s.Lead(context.Background(), id)
		if err == nil {
			return l
		}
		if !errors.Is(err, store.ErrLedElsewhere) || time.Now().After(deadline) {
			t.Fatalf("Lead(%s): %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func saveOne(s store.Store, id string) error {
	_, err := s.Save(context.Background(), store.Collection{Key: "src@k", Source: "src", Now: t0,
		Articles: []feed.Article{Article(id, id, t0)}})
	return err
}

func testLeadOnce(t *testing.T, r Replicas) {
	ctx := context.Background()
	a, b := open(t, r), open(t, r)
	if l, err := a.Leader(ctx); err != nil || l != (store.Lease{}) {
		t.Errorf("Leader before any = %+v, %v; want none", l, err)
	}
	if err := saveOne(a, "before"); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("Save of a store that never led = %v, want ErrNotLeader", err)
	}
	before := time.Now().Add(-time.Minute) // the database's clock, roughly
	la := lead(t, a, "replica-a")
	if _, err := b.Lead(ctx, "replica-b"); !errors.Is(err, store.ErrLedElsewhere) {
		t.Errorf("second Lead = %v, want ErrLedElsewhere", err)
	}
	if _, err := a.Lead(ctx, "replica-a"); !errors.Is(err, store.ErrLedElsewhere) {
		t.Errorf("Lead again by the leader = %v, want ErrLedElsewhere", err)
	}
	if !la.Valid() {
		t.Error("a new leadership is not Valid")
	}
	lease, err := b.Leader(ctx)
	if err != nil || lease.ID != "replica-a" || lease.Since.Before(before) || lease.Since.After(time.Now().Add(time.Minute)) ||
		lease.Left <= 0 || lease.Left > r.Lease+time.Second {
		t.Errorf("Leader = %+v, %v; want replica-a, about now, with a lease of some seconds left", lease, err)
	}
	if err := saveOne(a, "x"); err != nil {
		t.Errorf("the leader's Save: %v", err)
	}
	select {
	case <-la.Lost():
		t.Fatal("Lost closed while leading")
	case <-time.After(r.Lease / 2): // renewals keep it
	}
	if lease, err := b.Leader(ctx); err != nil || lease.Left < r.Lease/2 {
		t.Errorf("after renewals, Leader = %+v, %v; want more than %v left", lease, err, r.Lease/2)
	}
	la.Release()
	if la.Valid() {
		t.Error("a released leadership is Valid")
	}
	select {
	case <-la.Lost():
	default:
		t.Error("Lost not closed by Release")
	}
	la.Release() // twice is harmless
	lb := lead(t, b, "replica-b")
	defer lb.Release()
	if lease, err := a.Leader(ctx); err != nil || lease.ID != "replica-b" {
		t.Errorf("Leader after the handover = %+v, %v", lease, err)
	}
}

func testFencingAfterRelease(t *testing.T, r Replicas) {
	a, b, tool := open(t, r), open(t, r), open(t, r)
	la := lead(t, a, "a")
	la.Release()
	if err := saveOne(a, "late"); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("Save after Release = %v, want ErrNotLeader", err)
	}
	lb := lead(t, b, "b")
	defer lb.Release()
	ctx := context.Background()
	for name, write := range map[string]func() error{
		"Save":   func() error { return saveOne(a, "late") },
		"Retain": func() error { return a.Retain(ctx, nil) },
		"Publish": func() error {
			_, _, err := a.Publish(ctx, nil, nil, nil, nil)
			return err
		},
	} {
		if err := write(); !errors.Is(err, store.ErrNotLeader) {
			t.Errorf("deposed leader's %s = %v, want ErrNotLeader", name, err)
		}
	}
	if err := saveOne(b, "new"); err != nil {
		t.Errorf("the new leader's Save: %v", err)
	}
	if err := saveOne(tool, "tool"); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("Save of a store that never led = %v, want ErrNotLeader", err)
	}
	if got := ids(articles(t, b, "src")); !cmp.Equal(got, []string{"new"}) {
		t.Errorf("articles %v, want the new leader's only", got)
	}
	// Leading again lifts the fence.
	lb.Release()
	la = lead(t, a, "a")
	defer la.Release()
	if err := saveOne(a, "again"); err != nil {
		t.Errorf("Save after leading again: %v", err)
	}
}

func testFencingAfterSevered(t *testing.T, r Replicas) {
	a, b := open(t, r), open(t, r)
	la := lead(t, a, "a")
	r.Sever(t, "lead")
	lb := leadWithin(t, b, "b")
	defer lb.Release()
	if err := saveOne(a, "late"); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("deposed leader's Save = %v, want ErrNotLeader", err)
	}
	select {
	case <-la.Lost():
	case <-time.After(wait):
		t.Fatal("Lost not closed after the connection was severed")
	}
	if err := saveOne(b, "new"); err != nil {
		t.Errorf("the new leader's Save: %v", err)
	}
	if got := ids(articles(t, b, "src")); !cmp.Equal(got, []string{"new"}) {
		t.Errorf("articles %v, want [new]", got)
	}
}

func testPublications(t *testing.T, r Replicas) {
	ctx := context.Background()
	leader, replica := open(t, r), open(t, r)
	defer lead(t, leader, "leader").Release()
	pub, err := replica.Published(ctx, 0)
	if err != nil || pub.Gen != 0 || len(pub.Pages) != 0 || len(pub.Paths) != 0 {
		t.Fatalf("Published before any = %+v, %v", pub, err)
	}
	page := func(path, body string, mod time.Time) feed.File {
		return feed.File{Path: path, MediaType: "application/rss+xml", Body: []byte(body), Modified: mod}
	}
	rss, atom, index := page("world.rss", "<rss/>", t0), page("world.atom", "<feed/>", t0), page("index.html", "<html>", t0)
	revs1, revs2 := store.Revs{"notes": 3}, store.Revs{"notes": 5, "upstream": 2}
	gen1, at1, err := leader.Publish(ctx, []feed.File{rss, atom, index}, []string{"world.rss", "world.atom", "index.html"}, nil, revs1)
	if err != nil || gen1 <= 0 {
		t.Fatalf("Publish = %d, %v", gen1, err)
	}
	rss2 := page("world.rss", "<rss>2</rss>", t0.Add(time.Hour))
	gen2, at2, err := leader.Publish(ctx, []feed.File{rss2}, []string{"index.html", "world.rss"}, []string{"http://x.example/world.rss"}, revs2) // atom removed
	if err != nil || gen2 <= gen1 {
		t.Fatalf("second Publish = %d, %v; want more than %d", gen2, err, gen1)
	}
	// The commit times come from one clock (the database's) and move on.
	if at2.Before(at1) || time.Since(at1).Abs() > time.Minute {
		t.Errorf("commit times %v then %v (now %v)", at1, at2, time.Now())
	}
	// Each page carries the generation that last changed it.
	index.Gen, rss2.Gen = gen1, gen2
	byPath := cmpopts.SortSlices(func(x, y feed.File) bool { return x.Path < y.Path })
	paths := []string{"index.html", "world.rss"}
	for _, tc := range []struct {
		name  string
		after int64
		want  []feed.File
		paths []string
	}{
		{"everything", 0, []feed.File{index, rss2}, paths},
		{"after the first", gen1, []feed.File{rss2}, paths},
		{"up to date", gen2, nil, nil}, // nothing to catch up on
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := replica.Published(ctx, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			want := store.Publication{Gen: gen2, At: at2, Pages: tc.want, Paths: tc.paths, Revs: revs2}
			if diff := cmp.Diff(want, pub, byPath, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Published(%d) (-want +got):\n%s", tc.after, diff)
			}
		})
	}
	gen3, _, err := leader.Publish(ctx, nil, nil, nil, nil)
	if err != nil || gen3 <= gen2 {
		t.Fatalf("empty Publish = %d, %v", gen3, err)
	}
	if pub, err := replica.Published(ctx, 0); err != nil || pub.Gen != gen3 || len(pub.Paths) != 0 || len(pub.Pages) != 0 {
		t.Errorf("after publishing nothing: %+v, %v; want no pages", pub, err)
	}
	// The ping the second publication left, for whichever replica leads;
	// Pinged is a leader's write.
	want := []store.Ping{{Gen: gen2, Topic: "http://x.example/world.rss"}}
	if got, err := replica.Pings(ctx); err != nil || !cmp.Equal(got, want) {
		t.Errorf("Pings = %+v, %v; want %+v", got, err, want)
	}
	if err := replica.Pinged(ctx, want[0]); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("a follower's Pinged = %v, want ErrNotLeader", err)
	}
	if err := leader.Pinged(ctx, want[0]); err != nil {
		t.Fatal(err)
	}
	if got, err := replica.Pings(ctx); err != nil || len(got) != 0 {
		t.Errorf("Pings after Pinged = %+v, %v; want none", got, err)
	}
}

// next waits for a generation of at least want on ch.
func next(t *testing.T, ch <-chan int64, want int64) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case gen, ok := <-ch:
			if !ok {
				t.Fatal("Changes closed")
			}
			if gen >= want {
				return
			}
		case <-deadline:
			t.Fatalf("no generation %d within %v", want, wait)
		}
	}
}

func testChanges(t *testing.T, r Replicas) {
	leader, replica := open(t, r), open(t, r)
	defer lead(t, leader, "leader").Release()
	ctx, cancel := context.WithCancel(context.Background())
	ch := replica.Changes(ctx)
	start := time.Now()
	gen, _, err := leader.Publish(context.Background(), nil, []string{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	next(t, ch, gen)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("notice took %v", d)
	}
	cancel()
	for range ch { // closed when ctx is done
	}
}

func testChangesReconnect(t *testing.T, r Replicas) {
	leader, replica := open(t, r), open(t, r)
	defer lead(t, leader, "leader").Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := replica.Changes(ctx)
	r.Sever(t, "changes")
	// Publish until a notice of the newest arrives: the first ones may
	// go while the listener reconnects (it then reports the current
	// generation).
	deadline := time.Now().Add(wait)
	for {
		gen, _, err := leader.Publish(context.Background(), nil, []string{}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-ch:
			if got >= gen {
				return
			}
		case <-time.After(300 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notice within %v of severing the listener", wait)
		}
	}
}
