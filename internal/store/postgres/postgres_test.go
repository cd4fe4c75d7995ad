package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
	"github.com/heraldfeed/herald/internal/store/storetest"
)

// testLease is the shortest lease the configuration allows
// (replica_lease), so tests that wait one out wait least; TestTiming
// checks the shares hold at every lease.
const testLease = 5 * time.Second

func open(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, testLease)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestShared comes first in the file: its lease cases wait longest, and
// parallel tests take their turns in file order.
func TestShared(t *testing.T) {
	t.Parallel()
	pgtest.Server(t) // skips once, not per case
	storetest.RunShared(t, func(t *testing.T) storetest.Replicas {
		url := pgtest.NewDatabase(t)
		return storetest.Replicas{
			Lease: testLease,
			Open:  func(t *testing.T) store.Shared { return open(t, url) },
			Sever: func(t *testing.T, kind string) {
				app := map[string]string{"lead": appLead, "changes": appChanges}[kind]
				if n := pgtest.Exec(t, url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
					WHERE datname = current_database() AND application_name = $1`, app); n == 0 {
					t.Fatalf("no %s connection to sever", kind)
				}
			},
		}
	})
}

func TestConformance(t *testing.T) {
	t.Parallel()
	pgtest.Server(t) // skips once, not per case
	storetest.Run(t, func(t *testing.T) store.Store {
		s := open(t, pgtest.NewDatabase(t))
		// Every write needs the lease.
		l, err := s.Lead(context.Background(), "conformance")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Release)
		return s
	})
}

func TestSchema(t *testing.T) {
	pgtest.Server(t) // skips once, not per case
	storetest.RunSchema(t, storetest.Schema{
		New: func(t *testing.T) string { return pgtest.NewDatabase(t) },
		Open: func(ctx context.Context, url string) (store.Store, error) {
			return Open(ctx, url, testLease)
		},
		Version: func(t *testing.T, url string) int {
			var v int
			if err := pgtest.Conn(t, url).QueryRow(context.Background(), `SELECT version FROM herald_schema`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		},
		SetVersion: func(t *testing.T, url string, v int) {
			pgtest.Exec(t, url, `UPDATE herald_schema SET version = $1`, v)
		},
		Want: Version,
		Write: func(t *testing.T, s store.Store) func() {
			l, err := s.(*Store).Lead(context.Background(), "schema")
			if err != nil {
				t.Fatal(err)
			}
			return l.Release
		},
	})
}

// TestFencingEpoch: a leader that has not noticed it lost leadership (its
// lock connection still answers) is fenced by the epoch another leader
// took.
func TestFencingEpoch(t *testing.T) {
	t.Parallel() // a database of its own
	url := pgtest.NewDatabase(t)
	s := open(t, url)
	defer s.Close()
	l, err := s.Lead(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if _, err := s.Save(context.Background(), store.Collection{Key: "k", Source: "src"}); err != nil {
		t.Fatalf("the leader's Save: %v", err)
	}
	pgtest.Exec(t, url, `UPDATE herald_leader SET epoch = epoch + 1, id = 'b'`) // as Lead elsewhere does
	if _, err := s.Save(context.Background(), store.Collection{Key: "k", Source: "src"}); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("Save after another epoch = %v, want ErrNotLeader", err)
	}
	select {
	case <-l.Lost():
		t.Error("Lost closed: the fence was not what refused the write")
	default:
	}
}

// leadingPair opens two stores on url, a leading (la) and b not, for the
// rest of t.
func leadingPair(t *testing.T, url string) (a, b *Store, la store.Leadership) {
	t.Helper()
	a, b = open(t, url), open(t, url)
	t.Cleanup(func() { a.Close(); b.Close() })
	la, err := a.Lead(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(la.Release)
	return a, b, la
}

// TestLeaseExpired: a leader whose lease ran out by the database's clock
// (it stopped renewing: paused, hung) is refused its writes at once, is
// replaced by the next Lead, and learns it lost at its next renewal.
func TestLeaseExpired(t *testing.T) {
	t.Parallel() // a database of its own
	url := pgtest.NewDatabase(t)
	a, b, la := leadingPair(t, url)
	if _, err := b.Lead(context.Background(), "b"); !errors.Is(err, store.ErrLedElsewhere) {
		t.Fatalf("Lead while a's lease holds = %v", err)
	}
	pgtest.Exec(t, url, `UPDATE herald_leader SET expires = clock_timestamp() - interval '1 second'`) // as when a stops renewing
	if _, err := a.Save(context.Background(), store.Collection{Key: "k", Source: "src"}); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("Save under an expired lease = %v, want ErrNotLeader", err)
	}
	lb, err := b.Lead(context.Background(), "b")
	if err != nil {
		t.Fatalf("Lead after the lease expired = %v", err)
	}
	defer lb.Release()
	select {
	case <-la.Lost():
	case <-time.After(a.timing.renewEvery + a.timing.renewTimeout + time.Second):
		t.Fatal("a did not learn it lost at its next renewal")
	}
	if la.Valid() {
		t.Error("a lost leadership is Valid")
	}
	if _, err := b.Save(context.Background(), store.Collection{Key: "k", Source: "src"}); err != nil {
		t.Errorf("the new leader's Save: %v", err)
	}
}

// TestLeaderStalledInTransaction: a leader stopped inside a write
// transaction (paused, or its host cut off) holds the leader row FOR
// SHARE; the server ends that transaction after idleInTransaction, so
// the row frees well inside the lease and another replica can take over.
// The stalled write then fails: nothing of it commits.
func TestLeaderStalledInTransaction(t *testing.T) {
	t.Parallel() // a database of its own
	url := pgtest.NewDatabase(t)
	a, b, _ := leadingPair(t, url)
	inside, resume := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.write(context.Background(), func(tx pgx.Tx) error {
			close(inside)
			<-resume // stalled, between statements
			_, err := tx.Exec(context.Background(), `INSERT INTO herald_records (key, state, status) VALUES ('stalled', '{}', '{}')`)
			return err
		})
	}()
	<-inside
	start := time.Now()
	// As when a stops renewing: the update waits for a's row lock.
	pgtest.Exec(t, url, `UPDATE herald_leader SET expires = clock_timestamp() - interval '1 second'`)
	if idle := a.timing.idleInTransaction; time.Since(start) > idle+2*time.Second {
		t.Errorf("the leader row stayed locked %v by a stalled transaction (idleInTransaction %v)", time.Since(start), idle)
	}
	lb, err := b.Lead(context.Background(), "b")
	if err != nil {
		t.Fatalf("Lead after the stalled leader's lease expired = %v", err)
	}
	defer lb.Release()
	close(resume)
	if err := <-done; err == nil {
		t.Error("the stalled transaction committed after the server ended it")
	}
	if _, ok, err := b.Load(context.Background(), "stalled"); err != nil || ok {
		t.Errorf("Load(stalled) = %v, %v: want nothing written", ok, err)
	}
}

// TestChangesIdle: a listener that waits longer than its listenIdle pings its
// connection and keeps it (no reconnection, which could miss notices),
// and still delivers.
func TestChangesIdle(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := open(t, url)
	defer s.Close()
	s.listenIdle = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	ch := s.Changes(ctx)
	defer func() {
		cancel()
		for range ch { // the goroutine is done
		}
	}()
	conn := pgtest.Conn(t, url)
	backend := func() (pid int) {
		t.Helper()
		if err := conn.QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, appChanges).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		return pid
	}
	before := backend()
	time.Sleep(20 * s.listenIdle) // many idle rounds
	var quiet time.Duration
	if err := conn.QueryRow(context.Background(), `SELECT clock_timestamp() - state_change FROM pg_stat_activity
		WHERE pid = $1`, before).Scan(&quiet); err != nil || quiet > 10*s.listenIdle {
		t.Errorf("the idle listener was quiet for %v (%v): not pinged", quiet, err)
	}
	l, err := s.Lead(context.Background(), "idle")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	gen, _, err := s.Publish(context.Background(), nil, []string{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		if got != gen {
			t.Errorf("delivered %d, want %d", got, gen)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notice after idle rounds")
	}
	if after := backend(); after != before {
		t.Errorf("listener reconnected while idle (backend %d, then %d)", before, after)
	}
}

// TestOpenErrors: errors name the database (host, port, name) and never
// the password of the URL.
func TestOpenErrors(t *testing.T) {
	const pw = "s3cr3t-pw"
	for _, tc := range []struct {
		name string
		url  string
		want []string
	}{
		{"unreachable", "postgres://herald:" + pw + "@127.0.0.1:1/heralddb?connect_timeout=5", []string{"127.0.0.1:1/heralddb"}},
		{"bad port", "postgres://herald:" + pw + "@127.0.0.1:notaport/heralddb", []string{"database URL"}},
		{"not a URL", "postgres://herald:" + pw + "@[::1/x", []string{"database URL"}},
		{"key=value", "host=127.0.0.1 port=x password=" + pw, []string{"database URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.url, 0)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error %q shows the password", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestTiming: at every lease, the intervals that share it keep the
// invariants leadership rests on, and the default lease keeps the
// numbers the README gives.
func TestTiming(t *testing.T) {
	for _, lease := range []time.Duration{testLease, DefaultLease, 37 * time.Second, 10 * time.Minute} {
		tm := timingFor(lease)
		// A renewal is sent and answered (or given up) before the leader's
		// own clock says the lease may be gone.
		if tm.renewEvery+tm.renewTimeout >= tm.lease-tm.margin {
			t.Errorf("lease %v: renewal every %v waiting %v does not fit in %v", lease, tm.renewEvery, tm.renewTimeout, tm.lease-tm.margin)
		}
		// A stalled transaction frees the leader row before the lease
		// could run out, so a follower can take over when it does.
		if tm.idleInTransaction >= tm.lease-tm.margin {
			t.Errorf("lease %v: idle transactions end after %v, past the leader's %v", lease, tm.idleInTransaction, tm.lease-tm.margin)
		}
		// A silent connection fails about a lease after it went quiet.
		if dead := tm.keepAlive.Idle + time.Duration(tm.keepAlive.Count)*tm.keepAlive.Interval; dead > tm.userTimeout || tm.userTimeout > 2*tm.lease {
			t.Errorf("lease %v: keepalives give up after %v, user timeout %v", lease, dead, tm.userTimeout)
		}
		if tm.margin <= 0 || tm.pingTimeout <= 0 || tm.pingTimeout >= tm.lease {
			t.Errorf("lease %v: margin %v, ping timeout %v", lease, tm.margin, tm.pingTimeout)
		}
	}
	d := timingFor(DefaultLease)
	got := []time.Duration{d.renewEvery, d.renewTimeout, d.margin, d.keepAlive.Idle, d.keepAlive.Interval, d.userTimeout, d.idleInTransaction}
	want := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, 5 * time.Second, 2 * time.Second, 11 * time.Second, 4 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("default timing %v, README says %v", got, want)
	}
}

// TestServerLimits: the server takes the session limits of the lease as
// sent, so a stalled transaction ends when the lease says.
func TestServerLimits(t *testing.T) {
	t.Parallel() // a database of its own
	s := open(t, pgtest.NewDatabase(t))
	defer s.Close()
	tm := s.timing
	for name, want := range map[string]time.Duration{
		"idle_in_transaction_session_timeout": tm.idleInTransaction,
		"tcp_user_timeout":                    tm.userTimeout,
		// Whole seconds on the server, rounded up: 2.5 s is 3 s.
		"tcp_keepalives_idle":     (tm.keepAlive.Idle + time.Second - 1).Truncate(time.Second),
		"tcp_keepalives_interval": (tm.keepAlive.Interval + time.Second - 1).Truncate(time.Second),
	} {
		var setting int64
		var unit string
		if err := s.pool.QueryRow(context.Background(), "SELECT setting::bigint, unit FROM pg_settings WHERE name = $1", name).Scan(&setting, &unit); err != nil {
			t.Fatal(err)
		}
		got := time.Duration(setting) * map[string]time.Duration{"ms": time.Millisecond, "s": time.Second}[unit]
		if got != want {
			t.Errorf("%s = %v (%d %s) at lease %v, want %v", name, got, setting, unit, testLease, want)
		}
	}
}
