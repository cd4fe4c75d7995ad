package store

import (
	"encoding/json"
	"time"

	"github.com/heraldfeed/herald/feed"
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

// ScanStored reads (id, seq, first_seen, published, updated, hash): a
// history row without the article's body, what Merge and Expired need.
func ScanStored(row Row) (Stored, error) {
	var st Stored
	var first, pub, upd int64
	if err := row.Scan(&st.Article.ID, &st.Seq, &first, &pub, &upd, &st.Hash); err != nil {
		return st, err
	}
	st.FirstSeen, st.Article.Published, st.Article.Updated = Unix(first), Unix(pub), Unix(upd)
	return st, nil
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

// ScanArticles reads every row of rows with ScanArticle and returns the
// articles newest first (Newest). Of two rows with one ID (two sources
// share it; a feed publishes it once) the first is kept.
func ScanArticles(rows Rows) ([]feed.Article, error) {
	out := []feed.Article{}
	seen := map[string]bool{}
	for rows.Next() {
		a, err := ScanArticle(rows)
		if err != nil {
			return nil, err
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	Newest(out)
	return out, nil
}

// ScanDoc reads (feed, path, page, media_type, body, modified): an
// archive document.
func ScanDoc(row Row) (Doc, error) {
	var d Doc
	var mod int64
	if err := row.Scan(&d.Feed, &d.Path, &d.Page, &d.MediaType, &d.Body, &mod); err != nil {
		return d, err
	}
	d.Modified = Unix(mod)
	return d, nil
}
