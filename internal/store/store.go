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
// or published longer than KeepFor ago are removed.
//
// Its zero value keeps everything: as everywhere in Herald, zero is the
// default, and a negative Keep says "no limit" explicitly (keep: -1).
type Retention struct {
	// Keep is how many articles the source no longer returns are kept,
	// the newest; zero or negative: no limit.
	Keep int
	// KeepFor removes the articles the source no longer returns once
	// published longer ago than this; zero: no age limit.
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
	// Fresh is how many of the source's newest places hold articles an
	// edit leaves where they are: those the feeds' head documents publish
	// (the smallest limit of the feeds with archives that carry the
	// source). An edit of an older article moves it to a new place, so
	// that the head republishes it (RFC 5005's revised entry) while the
	// archive page it was on keeps its other items. 0: edits never move.
	Fresh int
}

// Store keeps records by key and the article log: every source's
// history, each article at its place (Slot) in one sequence shared by all
// sources. Everything Herald publishes is derived from the log (see
// internal/site), so nothing beside it can disagree with it.
// Implementations are safe for concurrent use, also by several processes
// on one database: writes serialize in the store.
type Store interface {
	// Load returns the record under key; ok is false when there is none.
	Load(ctx context.Context, key string) (rec Record, ok bool, err error)
	// Save commits c in one transaction: its record, and its articles
	// placed in the log by Collection.Plan. changed reports whether the
	// source's history changed. When c has articles, the record is saved
	// with Status.Items set to the number of articles the history holds
	// after it.
	Save(ctx context.Context, c Collection) (changed bool, err error)
	// Slots returns the source's places in the log, in sequence order:
	// its articles and the places articles left.
	Slots(ctx context.Context, source string) ([]Slot, error)
	// Entries returns the articles of sources whose places are from..to
	// (inclusive), in sequence order.
	Entries(ctx context.Context, sources []string, from, to int64) ([]Entry, error)
	// Mark returns where the source's history stands: it changes with
	// every commit that changes the history, whichever process made it.
	Mark(ctx context.Context, source string) (Mark, error)
	// Retain drops the records of every key but keys (histories stay).
	Retain(ctx context.Context, keys []string) error
	// ArticleByPage returns the article whose Page is page (the one at
	// the earliest place when two sources share one); ok is false when
	// there is none.
	ArticleByPage(ctx context.Context, page string) (a feed.Article, ok bool, err error)
	// Close releases the store.
	Close() error
}

// Slot is one place in the log. A place never moves and is never reused:
// an article keeps its place while it is published in the head, and when
// retention removes it or an edit moves it to a new place, the old place
// stays, Gone, so that the places after it keep their positions (and the
// archive pages derived from positions keep their items).
type Slot struct {
	Seq    int64
	Source string
	ID     string
	// Hash is the article's contentHash; "" when Gone.
	Hash string
	// Published is the article's date; zero when Gone.
	Published time.Time
	Gone      bool
}

// Entry is an article at its place in the log.
type Entry struct {
	Seq     int64
	Article feed.Article
}

// Mark is where a source's history stands.
type Mark struct {
	// Rev is the revision of the source's last change (the log's revision
	// grows with every commit that changes a history); 0 for none.
	Rev int64
	// Count is the number of articles the source's history holds.
	Count int
}

// Untouched reports whether c leaves a history of n articles as it is
// without reading it: it brings no articles, and retention removes none
// (Prunes). Backends skip the history then.
func (c *Collection) Untouched(n int) bool { return len(c.Articles) == 0 && !c.Prunes(n) }

// Prunes reports whether retention may remove articles from a history of
// n after c: only if the history holds more than the kept ones and more
// than Keep besides them (or has a KeepFor). Only then does Plan need the
// whole history; otherwise the articles c brings are enough. (Kept are
// the IDs of stored articles, so n-len(Kept) counts those the source no
// longer returns; were one not stored, retention would only wait for a
// later collection.)
func (c *Collection) Prunes(n int) bool {
	r := c.Retention
	return n > len(c.Kept) && (r.KeepFor > 0 || (r.Keep > 0 && n-len(c.Kept) > r.Keep))
}

// EncodeRecord is rec as a backend stores it: state and status as JSON.
// A files source's stamps are encoded by appendStamps, last.
func EncodeRecord(rec Record) (state, status []byte, err error) {
	files := rec.State.Files
	rec.State.Files = nil
	if state, err = json.Marshal(rec.State); err != nil {
		return nil, nil, err
	}
	if len(files) > 0 {
		obj := state[:len(state)-1] // without its closing brace
		if len(obj) > 1 {
			obj = append(obj, ',')
		}
		state = append(appendStamps(obj, files), '}')
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
