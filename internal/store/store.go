package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// ErrNewer is returned by a backend asked to open data written by a newer
// Herald: it refuses rather than downgrade.
var ErrNewer = errors.New("written by a newer version of Herald")

// Status is one source's collection outcome.
type Status struct {
	Name        string    `json:"name"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Items       int       `json:"items"`
	Running     bool      `json:"-"`
}

// Record is what is kept about one source configuration between
// collections.
type Record struct {
	// State is what the source returned for its next collection.
	State sources.State `json:"state"`
	// Status is the last collections' outcome.
	Status Status `json:"status"`
}

// Retention says which articles a source's history keeps. Articles the
// source returned in its latest collection are always kept; of the
// others (dropped upstream, files deleted), those beyond the Keep newest
// or published longer than KeepFor ago are removed. Zero means no limit.
type Retention struct {
	Keep    int
	KeepFor time.Duration
}

// Collection is one collection to save, in one transaction.
type Collection struct {
	// Key is the source configuration's key (collect.Entry.Key): State and
	// Status are kept under it, so a changed configuration starts fresh.
	Key string
	// Source is the source's name: articles are kept under it, so a
	// changed configuration keeps its history.
	Source string
	Record Record
	// Articles are the collection's articles, normalized; nil when it
	// produced none (failure, backoff, 304), which leaves history alone.
	Articles []feed.Article
	// Kept are the IDs of articles the source did not return because
	// they did not change (sources.Result.Kept): current, like Articles.
	Kept []string
	// Now is the collection's time: the first-seen time of new articles
	// and the updated time of edits that carry no date.
	Now       time.Time
	Retention Retention
}

// Store keeps records by key and article histories by source name.
// Implementations are safe for concurrent use.
type Store interface {
	// Load returns the record under key; ok is false when there is none.
	Load(ctx context.Context, key string) (rec Record, ok bool, err error)
	// Save stores c atomically: its record, and its articles merged into
	// the source's history by Merge and pruned by Expired. changed reports
	// whether the source's articles changed.
	Save(ctx context.Context, c Collection) (changed bool, err error)
	// Articles returns the source's newest n retained articles (all
	// when n <= 0), newest first (Newest's order).
	Articles(ctx context.Context, source string, n int) ([]feed.Article, error)
	// Stamp returns a value that changes whenever the source's history
	// changes, whichever process changed it: another process's
	// collection committed to the same store is seen by comparing it.
	Stamp(ctx context.Context, source string) (string, error)
	// Retain drops the records of every key but keys (histories stay).
	Retain(ctx context.Context, keys []string) error

	// Archive returns feed's archive bookkeeping.
	Archive(ctx context.Context, feed string) (Archive, error)
	// SaveArchive puts items on archive pages (add: page by article ID)
	// and stores the documents of the pages that filled, atomically.
	SaveArchive(ctx context.Context, feed string, add map[string]int, full []Doc) error
	// PageArticles returns the retained articles on archive page page of
	// feed, newest first.
	PageArticles(ctx context.Context, feed string, page int) ([]feed.Article, error)
	// Docs returns feed's full archive documents, oldest page first.
	Docs(ctx context.Context, feed string) ([]Doc, error)
	// Doc returns the full archive document at path; ok is false when
	// there is none.
	Doc(ctx context.Context, path string) (d Doc, ok bool, err error)
	// ArticleByPage returns the retained article whose Page is page;
	// ok is false when there is none.
	ArticleByPage(ctx context.Context, page string) (a feed.Article, ok bool, err error)
	// Close releases the store.
	Close() error
}

// Archive is one feed's archive bookkeeping (RFC 5005 archived feeds).
// An item that leaves the feed's head document is put on the open page,
// the one after the Full ones, for good; a page that reaches the feed's
// page size is full: its documents are rendered once and stored.
type Archive struct {
	// Pages is the page of each archived item, by article ID; page 0
	// holds the articles of the feed's head document.
	Pages map[string]int
	// Full is the number of full pages: 1 to Full.
	Full int
}

// Doc is the document of a full archive page in one format: its bytes
// never change.
type Doc struct {
	Feed      string
	Page      int
	Path      string
	MediaType string
	Body      []byte
	Modified  time.Time
}

// Untouched reports whether c leaves a history of n articles as it is
// without reading it: it brings no articles, and retention could only
// remove some if the history held more than the kept ones and more than
// Keep besides them (or had a KeepFor). Backends skip the history then.
func (c *Collection) Untouched(n int) bool {
	r := c.Retention
	return len(c.Articles) == 0 && (n <= len(c.Kept) || (r.KeepFor == 0 && (r.Keep == 0 || n-len(c.Kept) <= r.Keep)))
}

// Prune returns the IDs retention removes from history (by ID, merged
// already) after c.
func (c *Collection) Prune(history map[string]Stored) []string {
	all := make([]Stored, 0, len(history))
	for _, st := range history {
		all = append(all, st)
	}
	return Expired(all, c.Current(), c.Retention, c.Now)
}

// EncodeRecord is rec as a backend stores it: state and status as JSON.
func EncodeRecord(rec Record) (state, status []byte, err error) {
	if state, err = json.Marshal(rec.State); err != nil {
		return nil, nil, err
	}
	status, err = json.Marshal(rec.Status)
	return state, status, err
}

// DecodeRecord is the Record stored under key as EncodeRecord made it.
func DecodeRecord(key string, state, status []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(state, &rec.State); err != nil {
		return rec, fmt.Errorf("record %s: state: %w", key, err)
	}
	if err := json.Unmarshal(status, &rec.Status); err != nil {
		return rec, fmt.Errorf("record %s: status: %w", key, err)
	}
	return rec, nil
}

// Current is the set of IDs the collection found: its Articles and Kept.
func (c *Collection) Current() map[string]bool {
	current := make(map[string]bool, len(c.Articles)+len(c.Kept))
	for _, a := range c.Articles {
		current[a.ID] = true
	}
	for _, id := range c.Kept {
		current[id] = true
	}
	return current
}
