package sources

import (
	"fmt"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// Validators are the conditional-GET validators of a response: what the
// next request for the same URL sends as If-None-Match and
// If-Modified-Since.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// IsZero reports whether there is nothing to send: the request is
// unconditional.
func (v Validators) IsZero() bool { return v == Validators{} }

// State is what a source remembers between two collections. It is a plain
// value: a source receives the previous one and returns the next in its
// Result, and only the caller keeps it, so one row of a store can hold it
// (it encodes to JSON). The zero State is a source never collected. Maps
// are replaced, never written into, so a State passed in is never changed.
type State struct {
	// Validators are those of the last response parsed successfully
	// (feed and page sources).
	Validators Validators `json:"validators,omitzero"`
	// Failures counts failed collections in a row; RetryAt is when the
	// source may try again after them (feed and page sources).
	Failures int       `json:"failures,omitempty"`
	RetryAt  time.Time `json:"retry_at,omitzero"`
	// Error is the last failure's message while Failures is not 0, its
	// secrets redacted, for the operator's status.
	Error string `json:"error,omitempty"`
	// Fetch is the fingerprint of the fetch configuration the failures
	// happened under (see fetchFingerprint): under another one (a host
	// now in fetch.allow_hosts, a longer timeout) the source may
	// succeed, so it tries at once rather than wait out the back-off.
	Fetch string `json:"fetch,omitempty"`
	// FirstSeen is when each article ID was first collected; undated
	// items are dated by it. IDs no longer collected are dropped.
	FirstSeen map[string]time.Time `json:"first_seen,omitempty"`
	// FullText is the content extracted from each article page, by URL,
	// so a page is fetched once (sources with full_text).
	FullText map[string]string `json:"full_text,omitempty"`
	// FullTextMeta is what each of those pages says of itself, by URL:
	// it fills what the source does not give (full_text).
	FullTextMeta map[string]PageMeta `json:"full_text_meta,omitempty"`
	// Skipped lists the files skipped with a warning, by path, with the
	// reason: an unchanged skip is not warned about again (files sources).
	Skipped map[string]string `json:"skipped,omitempty"`
	// Files stamps each article file read, by slash-separated path: a
	// file whose stamp is unchanged is not read again (files sources).
	Files map[string]FileStamp `json:"files,omitempty"`
	// Subs are the feeds a source collects among several (an OPML
	// list), by URL, each with its own state and last good articles.
	Subs map[string]Sub `json:"subs,omitempty"`
	// Resume is a source's own continuation of a collection that
	// returned More (a files source's listing of its folder, so a large
	// import lists it once, not once per part). The caller hands it back
	// with the state for the next part and drops it when a new
	// collection begins. It is never stored: after a restart the source
	// starts over from the state committed with the last part.
	Resume any `json:"-"`
}

// Sub is one feed of a source that collects several: its own State, and
// its last good articles, published again while it is unchanged (304) or
// failing, so one broken feed loses nothing and fails alone.
type Sub struct {
	State    State          `json:"state,omitzero"`
	Articles []feed.Article `json:"articles,omitempty"`
}

// FileStamp is what tells an unchanged file: its size and modification
// time, and the ID of the article read from it.
type FileStamp struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"` // Unix nanoseconds
	ID      string `json:"id"`
}

// Result is what one collection produced.
type Result struct {
	// Articles are the source's current articles, not yet normalized.
	// Nil when the collection produced none to publish: it failed, was
	// skipped, or found nothing changed (Unchanged); the caller keeps the
	// articles it has.
	Articles []feed.Article
	// Unchanged reports that the source is as it was at the previous
	// collection (a 304 to a conditional request).
	Unchanged bool
	// State is the state to pass to the next collection. It is set on
	// failure too: a failure moves the backoff.
	State State
	// Kept are the IDs of articles unchanged since the previous
	// collection and so not returned in Articles: the caller keeps the
	// ones it has (files sources, for files whose stamp did not change).
	Kept []string
	// More reports that Articles are a bounded part of what changed (a
	// folder's first import): the caller commits them with State and
	// collects again at once, so memory does not grow with the change and
	// an interruption keeps the parts committed. Kept then also holds the
	// IDs of the articles of changes left for later.
	More bool
}

// backoffBase is how long a source pauses after its first failed
// collection; each further failure doubles it up to the maximum.
const backoffBase = time.Minute

// Succeeded returns s after a successful collection (or a 304): no
// failures, no back-off.
func (s State) Succeeded() State {
	s.Failures, s.RetryAt, s.Error, s.Fetch = 0, time.Time{}, "", ""
	return s
}

// BackingOff returns an error wrapping ErrBackoff when s says the source
// must not be collected at now, and nil when it may.
func (s State) BackingOff(now time.Time) error {
	if s.Failures == 0 || !now.Before(s.RetryAt) {
		return nil
	}
	plural := "s"
	if s.Failures == 1 {
		plural = ""
	}
	return fmt.Errorf("%w: %d failed collection%s in a row, next try at %s",
		ErrBackoff, s.Failures, plural, s.RetryAt.UTC().Format(time.RFC3339))
}

// Failed returns s after one more failed collection at now: the n-th
// failure in a row pauses the source for backoffBase·2^(n-1), capped at
// maxBackoff.
func (s State) Failed(now time.Time, maxBackoff time.Duration) State {
	s.Failures++
	wait := maxBackoff
	if s.Failures < 32 {
		if d := backoffBase << (s.Failures - 1); d > 0 && d < maxBackoff {
			wait = d
		}
	}
	s.RetryAt = now.Add(wait)
	return s
}

// dateByFirstSeen gives every article without a date the time the source
// first saw its ID (now, for a new one), so undated items keep a stable
// date across collections. It returns the first-seen dates of articles,
// forgetting IDs no longer collected.
func dateByFirstSeen(articles []feed.Article, prev map[string]time.Time, now time.Time) map[string]time.Time {
	seen := make(map[string]time.Time, len(articles))
	for i := range articles {
		a := &articles[i]
		first, ok := prev[a.ID]
		if !ok {
			first = now
		}
		seen[a.ID] = first
		if a.Published.IsZero() && a.Updated.IsZero() {
			a.Published = first
		}
	}
	return seen
}

// PageMeta is the metadata an article page declares, kept with its full
// text; empty fields were not declared, or not in a form Herald trusts.
type PageMeta struct {
	Title     string    `json:"title,omitempty"`
	Author    string    `json:"author,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
}
