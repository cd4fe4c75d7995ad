package postgres

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldfeed/herald/internal/store"
)

// Leadership timing. A leader notices a dead connection within
// pingEvery+pingTimeout (3 s). PostgreSQL frees the lock of a leader
// that vanished without closing its connection (host down, cable cut)
// within keepalive idle + interval × count = 5 + 2×3 = 11 s, or
// userTimeout when its replies go unacknowledged; a process that dies
// (SIGKILL) has its connection closed by its kernel, so the lock is free
// at once.
const (
	pingEvery   = time.Second
	pingTimeout = 2 * time.Second
	userTimeout = 11 * time.Second
)

// Changes reconnects after at most maxBackoff.
const maxBackoff = 2 * time.Second

// listenIdle is how long Changes waits for a notice before it pings its
// connection: a connection dropped silently (a NAT's idle timeout, a
// database host gone) delivers nothing and no error until TCP gives up,
// minutes later; the ping finds out, and its traffic keeps NATs open.
var listenIdle = 10 * time.Second

// leadership is a held leader lock: a goroutine owns the connection that
// holds it, pings it, and gives it up.
type leadership struct {
	s     *Store
	epoch int64
	conn  *pgx.Conn
	stop  chan struct{}
	lost  chan struct{}
	once  sync.Once
}

// Lost implements store.Leadership.
func (l *leadership) Lost() <-chan struct{} { return l.lost }

// Release implements store.Leadership: from its call on, the store's
// writes fail with store.ErrNotLeader (until it leads again).
func (l *leadership) Release() {
	l.once.Do(func() { close(l.stop) })
	<-l.lost
}

// Lead implements store.Shared. The lock lives on a connection of its
// own, with server-side keepalives so that PostgreSQL frees it when the
// leader's host vanishes; the epoch it increments fences the writes of
// the leader before it.
func (s *Store) Lead(ctx context.Context, id string) (store.Leadership, error) {
	conn, err := s.connect(ctx, AppLead)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (store.Leadership, error) {
		conn.Close(context.Background())
		return nil, err
	}
	if _, err := conn.Exec(ctx, `SELECT set_config('tcp_keepalives_idle', '5', false),
		set_config('tcp_keepalives_interval', '2', false), set_config('tcp_keepalives_count', '3', false),
		set_config('tcp_user_timeout', $1, false)`, strconv.FormatInt(userTimeout.Milliseconds(), 10)); err != nil {
		return fail(err)
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, leaderLock).Scan(&got); err != nil {
		return fail(err)
	}
	if !got {
		return fail(store.ErrLedElsewhere)
	}
	var epoch int64
	if err := conn.QueryRow(ctx, `UPDATE herald_leader SET epoch = epoch + 1, id = $1, since = now() RETURNING epoch`,
		id).Scan(&epoch); err != nil {
		return fail(err) // closing the connection frees the lock
	}
	l := &leadership{s: s, epoch: epoch, conn: conn, stop: make(chan struct{}), lost: make(chan struct{})}
	s.mu.Lock()
	s.fenced, s.epoch, s.lead = true, epoch, l
	s.mu.Unlock()
	go l.hold()
	return l, nil
}

// hold pings the lock's connection until it fails or Release; either
// way the store stops writing before the lock is freed.
func (l *leadership) hold() {
	defer close(l.lost)
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			l.depose()
			ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
			l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, leaderLock) // closing frees it anyway
			l.conn.Close(ctx)
			cancel()
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
			err := l.conn.Ping(ctx)
			cancel()
			if err != nil {
				l.depose()
				ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
				l.conn.Close(ctx)
				cancel()
				return
			}
		}
	}
}

// depose marks the store as no longer leading under this leadership.
func (l *leadership) depose() {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.epoch == l.epoch {
		l.s.epoch = 0
	}
	if l.s.lead == l {
		l.s.lead = nil
	}
}

// Leader implements store.Shared.
func (s *Store) Leader(ctx context.Context) (string, time.Time, error) {
	var id string
	var since time.Time
	if err := s.pool.QueryRow(ctx, `SELECT id, since FROM herald_leader`).Scan(&id, &since); err != nil {
		return "", time.Time{}, err
	}
	if id == "" {
		return "", time.Time{}, nil
	}
	return id, since.UTC(), nil
}

// Publish implements store.Shared. The generation row, updated first,
// orders publishers; the notice is sent by PostgreSQL at the commit.
func (s *Store) Publish(ctx context.Context, changed []store.Page, paths []string) (int64, time.Time, error) {
	if paths == nil {
		paths = []string{} // NULL would remove nothing
	}
	var gen int64
	var at time.Time
	err := s.write(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `UPDATE herald_publication SET gen = gen + 1, at = clock_timestamp() RETURNING gen, at`).Scan(&gen, &at); err != nil {
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
		b.Queue(`SELECT pg_notify($1, $2)`, Channel, strconv.FormatInt(gen, 10))
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	return gen, at.UTC(), nil
}

// Published implements store.Shared, from one snapshot.
func (s *Store) Published(ctx context.Context, after int64) (store.Publication, error) {
	var pub store.Publication
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return pub, err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, `SELECT gen, at FROM herald_publication`).Scan(&pub.Gen, &pub.At); err != nil {
		return pub, err
	}
	pub.At = pub.At.UTC()
	rows, err := tx.Query(ctx, `SELECT path, gen > $1, media_type, CASE WHEN gen > $1 THEN body END, modified
		FROM herald_pages ORDER BY path`, after)
	if err != nil {
		return pub, err
	}
	defer rows.Close()
	pub.Paths = []string{}
	for rows.Next() {
		var p store.Page
		var changed bool
		var mod int64
		if err := rows.Scan(&p.Path, &changed, &p.MediaType, &p.Body, &mod); err != nil {
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
// is pinged every listenIdle, so one that died silently is replaced.
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
			wait, cancel := context.WithTimeout(ctx, listenIdle)
			n, err := conn.WaitForNotification(wait)
			cancel()
			if err != nil && ctx.Err() == nil && wait.Err() != nil && !conn.IsClosed() {
				// Idle, not failed (pgconn keeps a connection whose
				// read timed out): is it still there?
				ping, cancel := context.WithTimeout(ctx, pingTimeout)
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
	conn, err := s.connect(ctx, AppChanges)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+quoteIdent(Channel)); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}
