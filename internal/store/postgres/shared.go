package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// Leadership is a lease on the herald_leader row, measured by the
// database's clock: taking it needs it expired (or released), and the
// leader renews it every renewEvery for lease more. A leader that
// cannot renew (paused, hung, cut off) stops on its own clock margin
// before the lease could run out, and its writes are refused by the
// database once it has (fencing). So a follower takes over within
// lease of the last renewal plus its own interval, and never while
// the previous leader may still collect.
//
// Every other interval is a fixed share of the lease, so the invariants
// between them hold for any lease an operator chooses (replica_lease).
type timing struct {
	lease        time.Duration
	renewEvery   time.Duration
	margin       time.Duration
	renewTimeout time.Duration
	// Connections: a listener pings an idle connection within
	// pingTimeout; every connection's unacknowledged data fails it after
	// userTimeout, and keepAlive probes an idle one (dial.go).
	pingTimeout time.Duration
	userTimeout time.Duration
	keepAlive   net.KeepAliveConfig
	// idleInTransaction (serverLimits) is well inside the lease: the row
	// lock of a stopped leader's transaction is gone before its lease
	// runs out.
	idleInTransaction time.Duration
}

// DefaultLease is the lease when Open is given none. The configuration
// bounds the one it is given (replica_lease).
const DefaultLease = 10 * time.Second

// timingFor is the timing of lease: at DefaultLease, renewals every 2 s
// (each waiting at most 2 s), a 2 s margin, keepalives after 5 s every
// 2 s three times, an 11 s user timeout, and 4 s for an idle transaction.
func timingFor(lease time.Duration) timing {
	fifth := lease / 5
	return timing{
		lease:             lease,
		renewEvery:        fifth,
		margin:            fifth,
		renewTimeout:      fifth,
		pingTimeout:       fifth,
		userTimeout:       lease + lease/10,
		keepAlive:         net.KeepAliveConfig{Enable: true, Idle: lease / 2, Interval: fifth, Count: 3},
		idleInTransaction: 2 * fifth,
	}
}

// Changes reconnects after at most maxBackoff.
const maxBackoff = 2 * time.Second

// listenIdle is how long Changes waits for a notice before it pings its
// connection (Store.listenIdle): a connection dropped silently (a NAT's
// idle timeout, a database host gone) delivers nothing and no error until
// TCP gives up, minutes later; the ping finds out, and its traffic keeps
// NATs open.
const listenIdle = 10 * time.Second

// leadership is a held lease: a goroutine renews it over a connection
// of its own and gives it up.
type leadership struct {
	s     *Store
	epoch int64
	conn  *pgx.Conn
	stop  chan struct{}
	lost  chan struct{}
	once  sync.Once

	mu    sync.Mutex
	valid time.Time // by this process's monotonic clock
}

// Lost implements store.Leadership.
func (l *leadership) Lost() <-chan struct{} { return l.lost }

// Valid implements store.Leadership: until the lease could run out,
// with a margin, by this process's monotonic clock (which goes on while
// the process is stopped), and not after the lease was lost.
func (l *leadership) Valid() bool {
	select {
	case <-l.lost:
		return false
	default:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Now().Before(l.valid)
}

// Release implements store.Leadership: from its call on, the store's
// writes fail with store.ErrNotLeader (until it leads again), and the
// lease ends at once, so another replica may take over.
func (l *leadership) Release() {
	l.once.Do(func() { close(l.stop) })
	<-l.lost
}

// Lead implements store.Shared: it takes the lease when it has expired
// (or was released), incrementing the epoch that fences the writes of
// the leader before.
func (s *Store) Lead(ctx context.Context, id string) (store.Leadership, error) {
	conn, err := s.connect(ctx, appLead)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var epoch int64
	err = conn.QueryRow(ctx, `UPDATE herald_leader SET epoch = epoch + 1, id = $1, since = clock_timestamp(),
		expires = clock_timestamp() + $2 * interval '1 millisecond' WHERE expires <= clock_timestamp() RETURNING epoch`,
		id, s.timing.lease.Milliseconds()).Scan(&epoch)
	if err != nil {
		conn.Close(context.Background())
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, store.ErrLedElsewhere
		}
		return nil, err
	}
	l := &leadership{s: s, epoch: epoch, conn: conn, stop: make(chan struct{}), lost: make(chan struct{}),
		valid: start.Add(s.timing.lease - s.timing.margin)}
	s.mu.Lock()
	s.epoch, s.lead = epoch, l
	s.mu.Unlock()
	go l.hold()
	return l, nil
}

// hold renews the lease until Release, a refused renewal (another
// replica leads: the lease had run out), a failed connection, or its
// own clock saying the lease may run out; in every case the store stops
// writing first.
func (l *leadership) hold() {
	tm := l.s.timing
	defer close(l.lost)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), tm.renewTimeout)
		l.conn.Close(ctx)
		cancel()
	}()
	t := time.NewTicker(tm.renewEvery)
	defer t.Stop()
	for {
		l.mu.Lock()
		expiry := time.NewTimer(time.Until(l.valid))
		l.mu.Unlock()
		select {
		case <-l.stop:
			expiry.Stop()
			l.depose()
			ctx, cancel := context.WithTimeout(context.Background(), tm.renewTimeout)
			l.conn.Exec(ctx, `UPDATE herald_leader SET expires = clock_timestamp() WHERE epoch = $1`, l.epoch)
			cancel()
			return
		case <-expiry.C:
			l.depose()
			return
		case <-t.C:
			expiry.Stop()
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), tm.renewTimeout)
			tag, err := l.conn.Exec(ctx, `UPDATE herald_leader SET expires = clock_timestamp() + $2 * interval '1 millisecond'
				WHERE epoch = $1 AND expires > clock_timestamp()`, l.epoch, tm.lease.Milliseconds())
			cancel()
			if err != nil || tag.RowsAffected() != 1 {
				l.depose()
				return
			}
			l.mu.Lock()
			l.valid = start.Add(tm.lease - tm.margin)
			l.mu.Unlock()
		}
	}
}

// depose marks the store as no longer leading under this leadership.
func (l *leadership) depose() {
	l.mu.Lock()
	l.valid = time.Time{}
	l.mu.Unlock()
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.epoch == l.epoch {
		l.s.epoch = 0
	}
	if l.s.lead == l {
		l.s.lead = nil
	}
}

// LeaseTerm implements store.Shared.
func (s *Store) LeaseTerm() time.Duration { return s.timing.lease }

// Leader implements store.Shared.
func (s *Store) Leader(ctx context.Context) (store.Lease, error) {
	var l store.Lease
	var left float64
	if err := s.pool.QueryRow(ctx, `SELECT id, since, extract(epoch FROM expires - clock_timestamp())::float8 FROM herald_leader`).Scan(&l.ID, &l.Since, &left); err != nil {
		return store.Lease{}, err
	}
	if l.ID == "" {
		return store.Lease{}, nil
	}
	l.Since, l.Left = l.Since.UTC(), time.Duration(left*float64(time.Second))
	return l, nil
}

// Publish implements store.Shared. The generation row, updated first,
// orders publishers; the notice is sent by PostgreSQL at the commit.
func (s *Store) Publish(ctx context.Context, changed []feed.File, paths, topics []string, revs store.Revs) (int64, time.Time, error) {
	if paths == nil {
		paths = []string{} // NULL would remove nothing
	}
	if revs == nil {
		revs = store.Revs{}
	}
	state, err := json.Marshal(revs)
	if err != nil {
		return 0, time.Time{}, err
	}
	var gen int64
	var at time.Time
	err = s.write(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `UPDATE herald_publication SET gen = gen + 1, at = clock_timestamp(), revs = $1 RETURNING gen, at`, state).Scan(&gen, &at); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, p := range changed {
			b.Queue(`INSERT INTO herald_pages (path, media_type, body, modified, gen) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (path) DO UPDATE SET media_type = excluded.media_type, body = excluded.body,
					modified = excluded.modified, gen = excluded.gen`,
				p.Path, p.MediaType, p.Body, p.Modified.Unix(), gen)
		}
		b.Queue(`DELETE FROM herald_pages WHERE path <> ALL($1)`, paths)
		for _, topic := range topics {
			b.Queue(`INSERT INTO herald_pings (gen, topic) VALUES ($1, $2)`, gen, topic)
		}
		b.Queue(`SELECT pg_notify($1, $2)`, Channel, strconv.FormatInt(gen, 10))
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	return gen, at.UTC(), nil
}

// Pings implements store.Shared.
func (s *Store) Pings(ctx context.Context) ([]store.Ping, error) {
	rows, err := s.pool.Query(ctx, `SELECT gen, topic FROM herald_pings ORDER BY gen, topic`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Ping, error) {
		var p store.Ping
		err := row.Scan(&p.Gen, &p.Topic)
		return p, err
	})
}

// Pinged implements store.Shared, as a write of the leader.
func (s *Store) Pinged(ctx context.Context, p store.Ping) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM herald_pings WHERE gen = $1 AND topic = $2`, p.Gen, p.Topic)
		return err
	})
}

// Published implements store.Shared, from one snapshot.
func (s *Store) Published(ctx context.Context, after int64) (store.Publication, error) {
	var pub store.Publication
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return pub, err
	}
	defer tx.Rollback(ctx)
	var state []byte
	if err := tx.QueryRow(ctx, `SELECT gen, at, revs FROM herald_publication`).Scan(&pub.Gen, &pub.At, &state); err != nil {
		return pub, err
	}
	pub.At = pub.At.UTC()
	if err := json.Unmarshal(state, &pub.Revs); err != nil {
		return pub, fmt.Errorf("publication %d: its log state: %w", pub.Gen, err)
	}
	if pub.Gen == after {
		return pub, tx.Commit(ctx) // nothing new: no need to list the paths
	}
	rows, err := tx.Query(ctx, `SELECT path, gen > $1, media_type, CASE WHEN gen > $1 THEN body END, modified, gen
		FROM herald_pages ORDER BY path`, after)
	if err != nil {
		return pub, err
	}
	defer rows.Close()
	pub.Paths = []string{}
	for rows.Next() {
		var p feed.File
		var changed bool
		var mod int64
		if err := rows.Scan(&p.Path, &changed, &p.MediaType, &p.Body, &mod, &p.Gen); err != nil {
			return pub, err
		}
		pub.Paths = append(pub.Paths, p.Path)
		if changed {
			p.Modified = store.Unix(mod)
			pub.Pages = append(pub.Pages, p)
		}
	}
	if err := rows.Err(); err != nil {
		return pub, err
	}
	return pub, tx.Commit(ctx)
}

// Changes implements store.Shared. The first connection is made before
// it returns (when the database answers within a few seconds), so a
// publication committed after the call is delivered. After a reconnect
// it delivers the current generation, as a notice may have been missed.
// A full channel keeps the newest generation only. An idle connection
// is pinged every s.listenIdle, so one that died silently is replaced.
func (s *Store) Changes(ctx context.Context) <-chan int64 {
	ch := make(chan int64, 1)
	first, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, _ := s.listen(first)
	cancel()
	go func() {
		defer close(ch)
		backoff := 100 * time.Millisecond
		for {
			if conn == nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, maxBackoff)
				var err error
				if conn, err = s.listen(ctx); err != nil {
					continue
				}
				backoff = 100 * time.Millisecond
				var gen int64
				if err := conn.QueryRow(ctx, `SELECT gen FROM herald_publication`).Scan(&gen); err == nil && gen > 0 {
					deliver(ch, gen)
				}
			}
			wait, cancel := context.WithTimeout(ctx, s.listenIdle)
			n, err := conn.WaitForNotification(wait)
			cancel()
			if err != nil && ctx.Err() == nil && wait.Err() != nil && !conn.IsClosed() {
				// Idle, not failed (pgconn keeps a connection whose
				// read timed out): is it still there?
				ping, cancel := context.WithTimeout(ctx, s.timing.pingTimeout)
				err = conn.Ping(ping)
				cancel()
				if err == nil {
					continue
				}
			}
			if err != nil {
				closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
				conn.Close(closeCtx)
				cancel()
				conn = nil
				if ctx.Err() != nil {
					return
				}
				continue
			}
			if gen, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
				deliver(ch, gen)
			}
		}
	}()
	return ch
}

// deliver sends gen without blocking: an undelivered generation is
// replaced by the newer of the two. (Only one goroutine sends.)
func deliver(ch chan int64, gen int64) {
	select {
	case old := <-ch:
		gen = max(gen, old)
	default:
	}
	ch <- gen
}

// listen opens a connection that listens to Channel.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := s.connect(ctx, appChanges)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+quoteIdent(Channel)); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}
