// Package postgres is the store backend of Herald replicas: one
// PostgreSQL database (github.com/jackc/pgx/v5) that several `herald
// serve` processes share. Besides store.Store (the same semantics as the
// SQLite backend) it implements store.Shared: leadership as a lease on a
// row, timed by the database's clock (shared.go; its term is Open's
// lease, replica_lease), fencing of a deposed leader's writes,
// publications that every replica serves, and change notices through
// LISTEN/NOTIFY.
//
// Its tables are prefixed herald_, so it may share a database (and its
// public schema) with other applications.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// migrateLock is the advisory lock key ("herald" and a number) a
// migration takes for its transaction.
const migrateLock int64 = 0x6865_7261_6c64_0001

// Channel is the LISTEN/NOTIFY channel of publications; the payload is
// the generation, in decimal.
const Channel = "herald_publication"

// Application names of the store's connections, as pg_stat_activity shows
// them (the pool keeps one given in the URL).
const (
	appPool    = "herald"
	appLead    = "herald lead"
	appChanges = "herald changes"
)

// migrations[i] takes a database from schema version i to i+1; the
// first creates it. Append only: a released step never changes. Text
// keys are COLLATE "C": byte order, as Go sorts strings.
var migrations = []string{
	// 1: everything the SQLite schema reached in five steps, plus what
	// replicas share: leadership and publications.
	`CREATE TABLE herald_records (
		key    TEXT COLLATE "C" PRIMARY KEY,
		state  TEXT NOT NULL,
		status TEXT NOT NULL
	);
	CREATE TABLE herald_articles (
		source     TEXT COLLATE "C" NOT NULL,
		id         TEXT COLLATE "C" NOT NULL,
		seq        BIGINT NOT NULL,
		first_seen BIGINT NOT NULL,
		published  BIGINT NOT NULL,
		updated    BIGINT NOT NULL,
		hash       TEXT NOT NULL,
		data       TEXT NOT NULL,
		page       TEXT COLLATE "C" NOT NULL DEFAULT '',
		PRIMARY KEY (source, id)
	);
	CREATE SEQUENCE herald_article_seq;
	CREATE INDEX herald_articles_seq ON herald_articles (source, seq);
	CREATE INDEX herald_articles_page ON herald_articles (page);
	CREATE INDEX herald_articles_id ON herald_articles (id);
	CREATE TABLE herald_archive_items (
		feed TEXT COLLATE "C" NOT NULL,
		id   TEXT COLLATE "C" NOT NULL,
		page INTEGER NOT NULL,
		PRIMARY KEY (feed, id)
	);
	CREATE TABLE herald_archive_docs (
		path       TEXT COLLATE "C" PRIMARY KEY,
		feed       TEXT COLLATE "C" NOT NULL,
		page       INTEGER NOT NULL,
		media_type TEXT NOT NULL,
		body       BYTEA NOT NULL,
		modified   BIGINT NOT NULL
	);
	CREATE INDEX herald_archive_docs_feed ON herald_archive_docs (feed, page);
	CREATE TABLE herald_leader (
		one   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
		epoch BIGINT NOT NULL,
		id    TEXT NOT NULL,
		since TIMESTAMPTZ NOT NULL
	);
	INSERT INTO herald_leader (epoch, id, since) VALUES (0, '', 'epoch');
	CREATE TABLE herald_publication (
		one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
		gen BIGINT NOT NULL,
		at  TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
	);
	INSERT INTO herald_publication (gen) VALUES (0);
	CREATE TABLE herald_pages (
		path       TEXT COLLATE "C" PRIMARY KEY,
		media_type TEXT NOT NULL,
		body       BYTEA NOT NULL,
		modified   BIGINT NOT NULL,
		gen        BIGINT NOT NULL
	)`,
	// 2: one article log, as SQLite's step 7: places left by edits and
	// removals, each change's revision, and one row of counters that
	// every writer locks, so that places are taken in commit order;
	// archive pages are derived from places, no longer recorded.
	`CREATE TABLE herald_gone (
		seq    BIGINT PRIMARY KEY,
		source TEXT COLLATE "C" NOT NULL,
		id     TEXT COLLATE "C" NOT NULL,
		rev    BIGINT NOT NULL
	);
	CREATE INDEX herald_gone_source ON herald_gone (source, seq);
	CREATE INDEX herald_gone_rev ON herald_gone (source, rev);
	ALTER TABLE herald_articles ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;
	UPDATE herald_articles SET rev = seq;
	CREATE INDEX herald_articles_rev ON herald_articles (source, rev);
	CREATE INDEX herald_articles_seq_all ON herald_articles (seq);
	CREATE TABLE herald_log (
		one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
		seq BIGINT NOT NULL,
		rev BIGINT NOT NULL
	);
	INSERT INTO herald_log (seq, rev) SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(seq), 0) FROM herald_articles;
	DROP TABLE herald_archive_items;
	DROP TABLE herald_archive_docs;
	DROP SEQUENCE herald_article_seq`,
	// 3: leadership is a lease measured by the database's clock (was a
	// session's advisory lock, which a paused process keeps).
	`ALTER TABLE herald_leader ADD COLUMN expires TIMESTAMPTZ NOT NULL DEFAULT 'epoch'`,
	// 4: the WebSub pings each publication leaves to send, written with
	// it: whichever replica leads sends them.
	`CREATE TABLE herald_pings (
		gen   BIGINT NOT NULL,
		topic TEXT COLLATE "C" NOT NULL,
		PRIMARY KEY (gen, topic)
	)`,
	// 5: a publication records the state of the log it was built from
	// (store.Revs, as JSON), so pages rendered on demand match it.
	`ALTER TABLE herald_publication ADD COLUMN revs TEXT NOT NULL DEFAULT '{}'`,
}

// Version is the schema version this Herald writes.
var Version = len(migrations)

// Store is a store.Shared in one PostgreSQL database.
type Store struct {
	pool  *pgxpool.Pool
	where string // host:port/dbname: never the password

	mu sync.Mutex
	// epoch is that of the leadership this store holds; 0 when none:
	// then its writes are refused.
	epoch int64
	lead  *leadership

	timing timing
	// listenIdle is Changes' ping interval: listenIdle, shorter in tests.
	listenIdle time.Duration
}

var _ store.Shared = (*Store)(nil)

// Open connects to the database at url (postgres://user:password@host:port/dbname?...)
// and migrates its schema as needed. Several processes may open one
// database at once: the first migrates it, the others wait for it.
// pgxpool's URL parameters apply, pool_max_conns among them (default: the
// larger of 4 and the number of CPUs). lease is how long a leadership
// lasts without renewal; 0 is DefaultLease.
func Open(ctx context.Context, url string, lease time.Duration) (*Store, error) {
	if lease <= 0 {
		lease = DefaultLease
	}
	tm := timingFor(lease)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, parseError(err)
	}
	cfg.ConnConfig.DialFunc = tm.dial
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = appPool
	}
	for k, v := range tm.serverLimits() {
		if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", where, err)
	}
	s := &Store{pool: pool, where: where, timing: tm, listenIdle: listenIdle}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", where, err)
	}
	return s, nil
}

// serverLimits are session settings of every connection, for the
// server's side of it. A write transaction holds the leader row FOR
// SHARE until it ends, and a Lead elsewhere waits for it; so a leader
// that stops mid-transaction (paused, cut off: its kernel may still
// answer keepalives, or nothing reaches the server at all) would keep
// every other replica from taking over for as long as the server keeps
// the session. The server ends a transaction left idle for
// idleInTransaction, and, like the client (dial.go), drops a TCP peer
// that stops answering. A session that ends this way loses only its
// uncommitted transaction, which the next collection redoes.
func (tm timing) serverLimits() map[string]string {
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	// The keepalive settings are whole seconds: rounded up, as the
	// server would round 2.5 s down.
	s := func(d time.Duration) string { return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10) }
	return map[string]string{
		"idle_in_transaction_session_timeout": ms(tm.idleInTransaction),
		"tcp_keepalives_idle":                 s(tm.keepAlive.Idle),
		"tcp_keepalives_interval":             s(tm.keepAlive.Interval),
		"tcp_keepalives_count":                strconv.Itoa(tm.keepAlive.Count),
		"tcp_user_timeout":                    ms(tm.userTimeout),
	}
}

// parseError reports a URL pgx cannot parse without the URL: pgconn
// redacts passwords only as best it can.
func parseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("database URL: %w", ue.Err)
	}
	return errors.New("database URL: not a PostgreSQL connection URL (postgres://user:password@host:port/dbname)")
}

// migrate brings the schema to Version in one transaction, refusing a
// database of a newer Herald. The transaction's advisory lock makes
// replicas that start at once migrate one after the other: the later
// ones find the work done.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS herald_schema (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var have int
	switch err := tx.QueryRow(ctx, `SELECT version FROM herald_schema`).Scan(&have); {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, `INSERT INTO herald_schema (version) VALUES (0)`); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	if have > Version {
		return fmt.Errorf("schema version %d, this Herald knows up to %d: %w", have, Version, store.ErrNewer)
	}
	if have == Version {
		return tx.Commit(ctx)
	}
	for v := have; v < Version; v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrating to schema version %d: %w", v+1, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE herald_schema SET version = $1`, Version); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Close implements store.Store: it gives up leadership, if held, and
// closes the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	l := s.lead
	s.mu.Unlock()
	if l != nil {
		l.Release()
	}
	s.pool.Close()
	return nil
}

// write runs fn in a transaction that first checks, on a store that has
// led, that it still leads (fencing): the leader row it reads stays
// locked until the commit, so a new leader's epoch cannot commit in
// between.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	s.mu.Lock()
	epoch := s.epoch
	s.mu.Unlock()
	if epoch == 0 {
		return store.ErrNotLeader
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// FOR SHARE: a Lead elsewhere, which updates the row, waits for this
	// transaction, so no write of an older epoch commits after a newer
	// one is taken.
	var leads bool
	if err := tx.QueryRow(ctx, `SELECT epoch = $1 AND expires > clock_timestamp() FROM herald_leader FOR SHARE`, epoch).Scan(&leads); err != nil {
		return err
	}
	if !leads {
		return store.ErrNotLeader
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Load implements store.Store.
func (s *Store) Load(ctx context.Context, key string) (store.Record, bool, error) {
	var state, status []byte
	err := s.pool.QueryRow(ctx, `SELECT state, status FROM herald_records WHERE key = $1`, key).Scan(&state, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, false, nil
	}
	if err != nil {
		return store.Record{}, false, err
	}
	rec, err := store.DecodeRecord(key, state, status)
	return rec, err == nil, err
}

// Save implements store.Store.
func (s *Store) Save(ctx context.Context, c store.Collection) (bool, error) {
	changed := false
	err := s.write(ctx, func(tx pgx.Tx) error {
		if c.Articles != nil {
			var err error
			if changed, c.Record.Status.Items, err = store.Commit(ctx, &logTx{tx: tx}, &c); err != nil {
				return err
			}
		}
		state, status, err := store.EncodeRecord(c.Record)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO herald_records (key, state, status) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET state = excluded.state, status = excluded.status`,
			c.Key, string(state), string(status))
		return err
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

// logTx is store.LogTx in a PostgreSQL transaction: the writes go out in
// one batch, one round trip for every row, when the counters are set
// (the last of them).
type logTx struct {
	tx    pgx.Tx
	batch pgx.Batch
}

// Counters implements store.LogTx. One writer of the log at a time, as
// SQLite's single writer: places are taken in commit order, so a reader
// never sees a later place before an earlier one commits.
func (l *logTx) Counters(ctx context.Context) (seq, rev int64, err error) {
	err = l.tx.QueryRow(ctx, `SELECT seq, rev FROM herald_log FOR UPDATE`).Scan(&seq, &rev)
	return seq, rev, err
}

// Count implements store.LogTx.
func (l *logTx) Count(ctx context.Context, source string) (int, error) {
	var n int
	err := l.tx.QueryRow(ctx, `SELECT count(*) FROM herald_articles WHERE source = $1`, source).Scan(&n)
	return n, err
}

// History implements store.LogTx.
func (l *logTx) History(ctx context.Context, c *store.Collection, n int) (store.History, error) {
	return history(ctx, l.tx, c, n)
}

// Put implements store.LogTx.
func (l *logTx) Put(_ context.Context, source string, st store.Stored, data []byte, rev int64) error {
	l.batch.Queue(`INSERT INTO herald_articles
		(source, id, seq, first_seen, published, updated, hash, data, page, rev) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (source, id) DO UPDATE SET seq = excluded.seq, updated = excluded.updated, hash = excluded.hash,
			data = excluded.data, page = excluded.page, rev = excluded.rev`,
		source, st.Article.ID, st.Seq, st.FirstSeen.Unix(), st.Article.Published.Unix(),
		st.Article.Updated.Unix(), st.Hash, string(data), st.Article.Page, rev)
	return nil
}

// Remove implements store.LogTx.
func (l *logTx) Remove(_ context.Context, source string, ids []string) error {
	l.batch.Queue(`DELETE FROM herald_articles WHERE source = $1 AND id = ANY($2)`, source, ids)
	return nil
}

// Leave implements store.LogTx.
func (l *logTx) Leave(_ context.Context, source string, g store.Slot, rev int64) error {
	l.batch.Queue(`INSERT INTO herald_gone (seq, source, id, rev) VALUES ($1, $2, $3, $4)`, g.Seq, source, g.ID, rev)
	return nil
}

// SetCounters implements store.LogTx, and sends the batch.
func (l *logTx) SetCounters(ctx context.Context, seq, rev int64) error {
	l.batch.Queue(`UPDATE herald_log SET seq = $1, rev = $2`, seq, rev)
	return l.tx.SendBatch(ctx, &l.batch).Close()
}

// history reads what Plan needs of the source's history of n articles,
// without their bodies: the whole of it when c Prunes, else only the
// articles c brings.
func history(ctx context.Context, tx pgx.Tx, c *store.Collection, n int) (store.History, error) {
	h := store.History{ByID: map[string]store.Prior{}}
	if c.Fresh > 0 {
		err := tx.QueryRow(ctx, `SELECT seq FROM herald_articles WHERE source = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2`,
			c.Source, c.Fresh-1).Scan(&h.FreshFrom)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return h, err
		}
	}
	const cols = `SELECT id, seq, first_seen, published, updated, hash FROM herald_articles WHERE source = $1`
	var rows pgx.Rows
	var err error
	if c.Prunes(n) {
		rows, err = tx.Query(ctx, cols, c.Source)
	} else {
		ids := make([]string, len(c.Articles))
		for i, a := range c.Articles {
			ids[i] = a.ID
		}
		rows, err = tx.Query(ctx, cols+` AND id = ANY($2)`, c.Source, ids)
	}
	if err != nil {
		return h, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := store.ScanPrior(rows)
		if err != nil {
			return h, err
		}
		h.ByID[p.ID] = p
	}
	return h, rows.Err()
}

// Slots implements store.Store.
func (s *Store) Slots(ctx context.Context, source string) ([]store.Slot, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, id, hash, published, false FROM herald_articles WHERE source = $1
		UNION ALL SELECT seq, id, '', 0, true FROM herald_gone WHERE source = $1 ORDER BY 1`, source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.ScanSlots(source, rows)
}

// Entries implements store.Store.
func (s *Store) Entries(ctx context.Context, sources []string, from, to int64) ([]store.Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, published, updated, data FROM herald_articles
		WHERE seq BETWEEN $1 AND $2 AND source = ANY($3) ORDER BY seq`, from, to, sources)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.ScanEntries(rows)
}

// Mark implements store.Store.
func (s *Store) Mark(ctx context.Context, source string) (store.Mark, error) {
	var m store.Mark
	err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM herald_articles WHERE source = $1),
		GREATEST(COALESCE((SELECT max(rev) FROM herald_articles WHERE source = $1), 0),
			COALESCE((SELECT max(rev) FROM herald_gone WHERE source = $1), 0))`, source).Scan(&m.Count, &m.Rev)
	return m, err
}

// Retain implements store.Store.
func (s *Store) Retain(ctx context.Context, keys []string) error {
	if keys == nil {
		keys = []string{} // NULL would keep everything
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM herald_records WHERE key <> ALL($1)`, keys)
		return err
	})
}

// ArticleByPage implements store.Store.
func (s *Store) ArticleByPage(ctx context.Context, page string) (feed.Article, bool, error) {
	a, err := store.ScanArticle(s.pool.QueryRow(ctx,
		`SELECT published, updated, data FROM herald_articles WHERE page = $1 ORDER BY seq LIMIT 1`, page))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}
	return a, err == nil, err
}

// Ping implements store.Shared.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres %s: %w", s.where, err)
	}
	return nil
}

// connect opens a connection of its own, outside the pool, named app.
func (s *Store) connect(ctx context.Context, app string) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", s.where, err)
	}
	return conn, nil
}

// quoteIdent is for the LISTEN statement, which takes no parameters.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
