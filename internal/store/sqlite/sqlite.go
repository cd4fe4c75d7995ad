// Package sqlite is the store backend Herald uses by default: one SQLite
// database (modernc.org/sqlite, pure Go) in the data folder, in WAL mode.
//
// Two processes may use one data folder at once (serve, and a generate
// run beside it): every write is one IMMEDIATE transaction and a writer
// waits up to busyTimeout for the other.
package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// FileName is the database's name inside the data folder.
const FileName = "herald.db"

const busyTimeout = 10 * time.Second

// migrations[i] takes a database from schema version i to i+1; the
// first creates it. Append only: a released step never changes.
var migrations = []string{
	// 1: records and article histories.
	`CREATE TABLE records (
		key    TEXT PRIMARY KEY,
		state  TEXT NOT NULL,
		status TEXT NOT NULL
	);
	CREATE TABLE articles (
		source     TEXT NOT NULL,
		id         TEXT NOT NULL,
		seq        INTEGER NOT NULL,
		first_seen INTEGER NOT NULL,
		published  INTEGER NOT NULL,
		updated    INTEGER NOT NULL,
		hash       TEXT NOT NULL,
		data       TEXT NOT NULL,
		PRIMARY KEY (source, id)
	)`,
	// 2: insertion order per source, for archives and the next sequence.
	`CREATE INDEX articles_seq ON articles (source, seq)`,
	// 3: archives (RFC 5005): which page each archived item is on, and
	// the documents of full pages.
	`CREATE TABLE archive_items (
		feed TEXT NOT NULL,
		id   TEXT NOT NULL,
		page INTEGER NOT NULL,
		PRIMARY KEY (feed, id)
	);
	CREATE TABLE archive_docs (
		path       TEXT PRIMARY KEY,
		feed       TEXT NOT NULL,
		page       INTEGER NOT NULL,
		media_type TEXT NOT NULL,
		body       BLOB NOT NULL,
		modified   INTEGER NOT NULL
	);
	CREATE INDEX archive_docs_feed ON archive_docs (feed, page)`,
	// 4: articles by page path, so serve renders article pages on demand.
	`ALTER TABLE articles ADD COLUMN page TEXT NOT NULL DEFAULT '';
	UPDATE articles SET page = COALESCE(json_extract(data, '$.Page'), '');
	CREATE INDEX articles_page ON articles (page)`,
	// 5: articles by ID, for the articles of an archive page.
	`CREATE INDEX articles_id ON articles (id)`,
	// 6: the next sequence number (MAX(seq) over every source) without
	// reading every row: 13 ms to 6 ms per collection at 100,000 articles.
	`CREATE INDEX articles_seq_all ON articles (seq)`,
	// 7: one article log. Places left by edits and removals (gone), each
	// change's revision, and the counters of both; archive pages are
	// derived from places, no longer recorded, so their tables go.
	`CREATE TABLE gone (
		seq    INTEGER PRIMARY KEY,
		source TEXT NOT NULL,
		id     TEXT NOT NULL,
		rev    INTEGER NOT NULL
	);
	CREATE INDEX gone_source ON gone (source, seq);
	CREATE INDEX gone_rev ON gone (source, rev);
	ALTER TABLE articles ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
	UPDATE articles SET rev = seq;
	CREATE INDEX articles_rev ON articles (source, rev);
	CREATE TABLE counters (seq INTEGER NOT NULL, rev INTEGER NOT NULL);
	INSERT INTO counters SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(seq), 0) FROM articles;
	DROP TABLE archive_items;
	DROP TABLE archive_docs`,
}

// Version is the schema version this Herald writes.
var Version = len(migrations)

// Store is a store.Store in one SQLite database.
type Store struct {
	db   *sql.DB
	path string
}

var _ store.Store = (*Store)(nil)

// Open opens (creating and migrating as needed) the database in dir,
// creating dir too.
func Open(ctx context.Context, dir string) (*Store, error) {
	// Only Herald reads its state: source state and errors name the
	// hosts and paths of configured URLs.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := writable(dir); err != nil {
		return nil, fmt.Errorf("data_dir %s is not writable: %w", dir, err)
	}
	// A new database is created private (SQLite gives its -wal and -shm
	// files the database's mode); an empty file is an empty database.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	if err := foreign(ctx, path); err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(" + fmt.Sprint(busyTimeout.Milliseconds()) + ")" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.migrateRetrying(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return s, nil
}

// migrateRetrying is migrate, tried again while the database is locked:
// a connection's first statements (switching a new database to WAL) can
// meet another process's first open with SQLITE_BUSY at once, before the
// busy timeout applies. Several processes may open one data_dir together.
func (s *Store) migrateRetrying(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err := s.migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// writable checks that a file can be created in dir, so an unwritable
// folder is reported as such rather than as a database error.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".herald-write-test-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// migrate brings the schema to Version in one transaction, refusing a
// database of a newer Herald.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return notDatabase(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return notDatabase(err)
	}
	var have int
	switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&have); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return err
		}
	case err != nil:
		return notDatabase(err)
	}
	if have > Version {
		return fmt.Errorf("schema version %d, this Herald knows up to %d: %w", have, Version, store.ErrNewer)
	}
	for v := have; v < Version; v++ {
		for _, stmt := range strings.Split(migrations[v], ";") {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrating to schema version %d: %w", v+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, Version); err != nil {
		return err
	}
	return tx.Commit()
}

// foreign refuses a database of another program at path before anything
// writes to it (opening it for Herald switches it to WAL): one with
// tables but no schema_version is never adopted, since migrating would
// add Herald's tables to it. It reads through a read-only connection.
func foreign(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil // new, or about to be reported by the open itself
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout("+fmt.Sprint(busyTimeout.Milliseconds())+")")
	if err != nil {
		return nil // the open proper reports it
	}
	defer db.Close()
	var tables, versioned int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(CASE WHEN name = 'schema_version' THEN 1 END)
		FROM sqlite_master WHERE type = 'table'`).Scan(&tables, &versioned); err != nil {
		if strings.Contains(err.Error(), "not a database") {
			return notDatabase(err)
		}
		return nil // busy, or another passing fault: the open proper decides
	}
	if tables > 0 && versioned == 0 {
		return errForeign
	}
	return nil
}

// damaged names the database file in an error that says it is damaged
// (or not a database at all), so whoever reads the log knows which file:
// serve meets it in a collection's save, not only at start.
func (s *Store) damaged(err error) error {
	var syntax *json.SyntaxError
	if err != nil && (errors.As(err, &syntax) || strings.Contains(err.Error(), "malformed") || strings.Contains(err.Error(), "SQLITE_CORRUPT") ||
		strings.Contains(err.Error(), "SQLITE_NOTADB") || strings.Contains(err.Error(), "not a database")) {
		return fmt.Errorf("database %s is damaged (restore it from a backup, or move it away to start afresh): %w", s.path, err)
	}
	return err
}

// Load implements store.Store.
func (s *Store) Load(ctx context.Context, key string) (store.Record, bool, error) {
	rec, ok, err := s.loadRecord(ctx, key)
	return rec, ok, s.damaged(err)
}

// Save implements store.Store.
func (s *Store) Save(ctx context.Context, c store.Collection) (bool, error) {
	changed, err := s.saveCollection(ctx, c)
	return changed, s.damaged(err)
}

// Slots implements store.Store.
func (s *Store) Slots(ctx context.Context, source string) ([]store.Slot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, hash, published, 0 FROM articles WHERE source = ?
		UNION ALL SELECT seq, id, '', 0, 1 FROM gone WHERE source = ? ORDER BY 1`, source, source)
	if err != nil {
		return nil, s.damaged(err)
	}
	defer rows.Close()
	slots, err := store.ScanSlots(source, rows)
	return slots, s.damaged(err)
}

// Entries implements store.Store.
func (s *Store) Entries(ctx context.Context, sources []string, from, to int64) ([]store.Entry, error) {
	if len(sources) == 0 {
		return nil, nil
	}
	args := []any{from, to}
	for _, src := range sources {
		args = append(args, src)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, published, updated, data FROM articles
		WHERE seq BETWEEN ? AND ? AND source IN (?`+strings.Repeat(", ?", len(sources)-1)+`) ORDER BY seq`, args...)
	if err != nil {
		return nil, s.damaged(err)
	}
	defer rows.Close()
	list, err := store.ScanEntries(rows)
	return list, s.damaged(err)
}

// Mark implements store.Store.
func (s *Store) Mark(ctx context.Context, source string) (store.Mark, error) {
	var m store.Mark
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM articles WHERE source = ?1),
		max(COALESCE((SELECT max(rev) FROM articles WHERE source = ?1), 0), COALESCE((SELECT max(rev) FROM gone WHERE source = ?1), 0))`,
		source).Scan(&m.Count, &m.Rev)
	return m, s.damaged(err)
}

// errForeign is a SQLite database of another program in data_dir.
var errForeign = errors.New("not a Herald database: it has tables but no schema_version (move it away or point data_dir elsewhere)")

// notDatabase makes SQLite's "file is not a database" say which file.
func notDatabase(err error) error {
	if strings.Contains(err.Error(), "not a database") {
		return fmt.Errorf("not a Herald database (move it away or point data_dir elsewhere): %w", err)
	}
	return err
}

// Close implements store.Store.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) loadRecord(ctx context.Context, key string) (store.Record, bool, error) {
	var state, status []byte
	err := s.db.QueryRowContext(ctx, `SELECT state, status FROM records WHERE key = ?`, key).Scan(&state, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, false, nil
	}
	if err != nil {
		return store.Record{}, false, err
	}
	rec, err := store.DecodeRecord(key, state, status)
	return rec, err == nil, err
}

func (s *Store) saveCollection(ctx context.Context, c store.Collection) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	changed := false
	if c.Articles != nil {
		if changed, c.Record.Status.Items, err = store.Commit(ctx, &logTx{tx: tx}, &c); err != nil {
			return false, err
		}
	}
	state, status, err := store.EncodeRecord(c.Record)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO records (key, state, status) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET state = excluded.state, status = excluded.status`,
		c.Key, state, status); err != nil { // as bytes: no copy of a large state
		return false, err
	}
	return changed, tx.Commit()
}

// logTx is store.LogTx in a SQLite transaction.
type logTx struct {
	tx *sql.Tx
	// stmts are the transaction's write statements, each prepared at its
	// first use (the transaction closes them): a part of an import puts a
	// thousand articles, and modernc's driver parsing the SQL of each
	// was about a tenth of a cold import's CPU.
	stmts map[string]*sql.Stmt
}

// exec runs query, prepared once per transaction, with args.
func (l *logTx) exec(ctx context.Context, query string, args ...any) error {
	st, ok := l.stmts[query]
	if !ok {
		var err error
		if st, err = l.tx.PrepareContext(ctx, query); err != nil {
			return err
		}
		if l.stmts == nil {
			l.stmts = map[string]*sql.Stmt{}
		}
		l.stmts[query] = st
	}
	_, err := st.ExecContext(ctx, args...)
	return err
}

// Counters implements store.LogTx; SQLite has one writer at a time.
func (l *logTx) Counters(ctx context.Context) (seq, rev int64, err error) {
	err = l.tx.QueryRowContext(ctx, `SELECT seq, rev FROM counters`).Scan(&seq, &rev)
	return seq, rev, err
}

// Count implements store.LogTx.
func (l *logTx) Count(ctx context.Context, source string) (int, error) {
	var n int
	err := l.tx.QueryRowContext(ctx, `SELECT count(*) FROM articles WHERE source = ?`, source).Scan(&n)
	return n, err
}

// History implements store.LogTx.
func (l *logTx) History(ctx context.Context, c *store.Collection, n int) (store.History, error) {
	return history(ctx, l.tx, c, n)
}

// Put implements store.LogTx.
func (l *logTx) Put(ctx context.Context, source string, st store.Stored, data []byte, rev int64) error {
	return l.exec(ctx, `INSERT INTO articles
		(source, id, seq, first_seen, published, updated, hash, data, page, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, id) DO UPDATE SET seq = excluded.seq, updated = excluded.updated, hash = excluded.hash,
			data = excluded.data, page = excluded.page, rev = excluded.rev`,
		source, st.Article.ID, st.Seq, st.FirstSeen.Unix(), st.Article.Published.Unix(),
		st.Article.Updated.Unix(), st.Hash, string(data), st.Article.Page, rev)
}

// Remove implements store.LogTx.
func (l *logTx) Remove(ctx context.Context, source string, ids []string) error {
	for _, id := range ids {
		if err := l.exec(ctx, `DELETE FROM articles WHERE source = ? AND id = ?`, source, id); err != nil {
			return err
		}
	}
	return nil
}

// Leave implements store.LogTx.
func (l *logTx) Leave(ctx context.Context, source string, g store.Slot, rev int64) error {
	return l.exec(ctx, `INSERT INTO gone (seq, source, id, rev) VALUES (?, ?, ?, ?)`, g.Seq, source, g.ID, rev)
}

// SetCounters implements store.LogTx.
func (l *logTx) SetCounters(ctx context.Context, seq, rev int64) error {
	_, err := l.tx.ExecContext(ctx, `UPDATE counters SET seq = ?, rev = ?`, seq, rev)
	return err
}

// history reads what Plan needs of the source's history of n articles,
// without their bodies: the whole of it when c Prunes, else only the
// articles c brings (a part of a large import reads 1,000, not the
// 100,000 before it).
func history(ctx context.Context, tx *sql.Tx, c *store.Collection, n int) (store.History, error) {
	h := store.History{ByID: map[string]store.Prior{}}
	if c.Fresh > 0 {
		err := tx.QueryRowContext(ctx, `SELECT seq FROM articles WHERE source = ? ORDER BY seq DESC LIMIT 1 OFFSET ?`,
			c.Source, c.Fresh-1).Scan(&h.FreshFrom)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return h, err
		}
	}
	const cols = `SELECT id, seq, first_seen, published, updated, hash FROM articles WHERE source = ?`
	if c.Prunes(n) {
		return h, readPriors(ctx, tx, h.ByID, cols, c.Source)
	}
	for ids := range slices.Chunk(c.Articles, 500) {
		args := []any{c.Source}
		for _, a := range ids {
			args = append(args, a.ID)
		}
		if err := readPriors(ctx, tx, h.ByID, cols+` AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...); err != nil {
			return h, err
		}
	}
	return h, nil
}

func readPriors(ctx context.Context, tx *sql.Tx, into map[string]store.Prior, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := store.ScanPrior(rows)
		if err != nil {
			return err
		}
		into[p.ID] = p
	}
	return rows.Err()
}

// Retain implements store.Store.
func (s *Store) Retain(ctx context.Context, keys []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT key FROM records`)
	if err != nil {
		return err
	}
	keep := make(map[string]bool, len(keys))
	for _, k := range keys {
		keep[k] = true
	}
	var drop []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return err
		}
		if !keep[k] {
			drop = append(drop, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM records WHERE key = ?`, k); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ArticleByPage implements store.Store.
func (s *Store) ArticleByPage(ctx context.Context, page string) (feed.Article, bool, error) {
	a, err := store.ScanArticle(s.db.QueryRowContext(ctx,
		`SELECT published, updated, data FROM articles WHERE page = ? ORDER BY seq LIMIT 1`, page))
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	return a, err == nil, err
}
