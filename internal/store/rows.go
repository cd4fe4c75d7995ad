package store

import (
	"encoding/json"
	"runtime"
	"time"

	"github.com/heraldfeed/herald/feed"
	"golang.org/x/sync/errgroup"
)

// The row layout every SQL backend shares: times as Unix seconds, an
// article as its JSON with its dates in columns of their own. These read
// it from a row of database/sql or of pgx alike.

// Row is one row being read.
type Row interface {
	Scan(dest ...any) error
}

// Unix is a time column as stored: whole seconds, read back in UTC.
func Unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// ScanPrior reads (id, seq, first_seen, published, updated, hash): a
// history row without the article's body, what Plan needs.
func ScanPrior(row Row) (Prior, error) {
	var p Prior
	var first, pub, upd int64
	if err := row.Scan(&p.ID, &p.Seq, &first, &pub, &upd, &p.Hash); err != nil {
		return p, err
	}
	p.FirstSeen, p.Published, p.Updated = Unix(first), Unix(pub), Unix(upd)
	return p, nil
}

// ScanArticle reads (published, updated, data): a whole article.
func ScanArticle(row Row) (feed.Article, error) {
	var a feed.Article
	var pub, upd int64
	var data []byte
	if err := row.Scan(&pub, &upd, &data); err != nil {
		return a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, err
	}
	a.Published, a.Updated = Unix(pub), Unix(upd)
	return a, nil
}

// Rows is a result being read, row by row.
type Rows interface {
	Row
	Next() bool
	Err() error
}

// ScanEntries reads every row of rows as (seq, published, updated, data):
// articles at their places. Rows are read in order; their JSON, most of
// the cost of reading a page of the log back, is decoded on every core
// when there are more than a few hundred.
func ScanEntries(rows Rows) ([]Entry, error) {
	var out []Entry
	type raw struct {
		data     []byte
		pub, upd int64
	}
	var rs []raw
	for rows.Next() {
		var e Entry
		var r raw
		if err := rows.Scan(&e.Seq, &r.pub, &r.upd, &r.data); err != nil {
			return nil, err
		}
		out = append(out, e)
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	decode := func(from, to int) error {
		for i := from; i < to; i++ {
			if err := json.Unmarshal(rs[i].data, &out[i].Article); err != nil {
				return err
			}
			out[i].Article.Published, out[i].Article.Updated = Unix(rs[i].pub), Unix(rs[i].upd)
		}
		return nil
	}
	const chunk = 256
	if len(out) <= chunk {
		return out, decode(0, len(out))
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for from := 0; from < len(out); from += chunk {
		g.Go(func() error { return decode(from, min(from+chunk, len(out))) })
	}
	return out, g.Wait()
}

// ScanSlots reads every row of rows as (seq, id, hash, published, gone):
// the places of source.
func ScanSlots(source string, rows Rows) ([]Slot, error) {
	var out []Slot
	for rows.Next() {
		s := Slot{Source: source}
		var pub int64
		if err := rows.Scan(&s.Seq, &s.ID, &s.Hash, &pub, &s.Gone); err != nil {
			return nil, err
		}
		if !s.Gone {
			s.Published = Unix(pub)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
