package app

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/collect"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/server"
	"github.com/heraldfeed/herald/sources"
)

// perDayWindow is how many days the status page's chart covers.
const perDayWindow = 14

// feedBook records what the builds said about each feed's items, for
// /healthz and /status (the server adds when each last changed).
type feedBook struct {
	mu    sync.Mutex
	specs []config.Feed
	items map[string]int
}

func newFeedBook(feeds []config.Feed) *feedBook {
	return &feedBook{specs: feeds, items: map[string]int{}}
}

func (b *feedBook) setItems(name string, n int) {
	b.mu.Lock()
	b.items[name] = n
	b.mu.Unlock()
}

// countItems sets each feed's item count from its published JSON Feed:
// what a replica that serves another's builds knows of them.
func (b *feedBook) countItems(files []feed.File) {
	ext := ""
	for _, f := range feed.Formats {
		if f.Name == "json" {
			ext = f.Ext
		}
	}
	for _, spec := range b.specs {
		for _, f := range files {
			if f.Path != spec.Name+ext {
				continue
			}
			var doc struct{ Items []struct{} }
			if json.Unmarshal(f.Body, &doc) == nil {
				b.setItems(spec.Name, len(doc.Items))
			}
		}
	}
}

func (b *feedBook) status() []server.FeedStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]server.FeedStatus, 0, len(b.specs))
	for _, spec := range b.specs {
		out = append(out, server.FeedStatus{Name: spec.Name, Title: spec.Title, Items: b.items[spec.Name], Path: spec.Name + feed.Formats[0].Ext})
	}
	return out
}

// statuses is the sources' state for /healthz and /status, errors
// redacted, with each source's type, next run and articles per day.
func statuses(p *pipeline, now time.Time) []server.SourceStatus {
	if p == nil {
		return nil
	}
	perDay := map[string][]int{}
	for _, s := range p.col.Snapshots() {
		perDay[s.Name] = articlesPerDay(p.site.Dates(s.Name), now, perDayWindow)
	}
	var out []server.SourceStatus
	for _, s := range p.col.Status() {
		st := server.SourceStatus{
			Name: s.Name, Type: p.types[s.Name], LastRun: s.LastRun, LastSuccess: s.LastSuccess, LastFailure: s.LastFailure,
			LastError: p.redact.Text(s.LastError), Items: s.Items, Running: s.Running, PerDay: perDay[s.Name],
		}
		if p.sched != nil {
			st.NextRun = p.sched.Next(s.Name)
		}
		backoff(&st, p.col.Backoffs(s.Name), p.redact)
		out = append(out, st)
	}
	return out
}

// backoff adds a source's back-offs to its status, errors redacted. A
// source backing off skips its scheduled runs until its retry time, so
// that is its next run (the first scheduled one from then, precisely).
func backoff(st *server.SourceStatus, b collect.Backoffs, red *sources.Redactor) {
	st.Failures, st.RetryAt = b.Source.Failures, b.RetryAt
	if b.RetryAt.After(st.NextRun) {
		st.NextRun = b.RetryAt
	}
	for _, e := range b.Entries {
		st.Entries = append(st.Entries, server.EntryStatus{URL: red.Text(e.URL), Failures: e.Failures, RetryAt: e.RetryAt, LastError: red.Text(e.Error)})
	}
}

// articlesPerDay counts articles by their publication day (UTC) over the
// days days ending with now's, oldest first.
func articlesPerDay(published []time.Time, now time.Time, days int) []int {
	out := make([]int, days)
	today := now.UTC().Truncate(24 * time.Hour)
	for _, p := range published {
		d := int(today.Sub(p.UTC().Truncate(24*time.Hour)) / (24 * time.Hour))
		if d >= 0 && d < days {
			out[days-1-d]++
		}
	}
	return out
}
