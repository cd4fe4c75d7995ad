package store

import (
	"context"
	"sync"

	"github.com/heraldfeed/herald/feed"
)

// Memory is a Store in memory, for one process's lifetime: what
// generate --no-store and tests use.
type Memory struct {
	mu   sync.Mutex
	recs map[string]Record
	hist map[string]map[string]Stored // by source, by ID
	seq  int64
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{recs: map[string]Record{}, hist: map[string]map[string]Stored{}}
}

// Load implements Store.
func (m *Memory) Load(_ context.Context, key string) (Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[key]
	return rec, ok, nil
}

// Save implements Store.
func (m *Memory) Save(_ context.Context, c Collection) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[c.Key] = c.Record
	if c.Articles == nil {
		return false, nil
	}
	h := m.hist[c.Source]
	if h == nil {
		h = map[string]Stored{}
		m.hist[c.Source] = h
	}
	changes := Merge(h, c.Articles, c.Now)
	for _, s := range changes {
		if s.Seq == 0 {
			m.seq++
			s.Seq = m.seq
		}
		h[s.Article.ID] = s
	}
	current := make(map[string]bool, len(c.Articles))
	for _, a := range c.Articles {
		current[a.ID] = true
	}
	all := make([]Stored, 0, len(h))
	for _, s := range h {
		all = append(all, s)
	}
	gone := Expired(all, current, c.Retention, c.Now)
	for _, id := range gone {
		delete(h, id)
	}
	return len(changes) > 0 || len(gone) > 0, nil
}

// Articles implements Store.
func (m *Memory) Articles(_ context.Context, source string) ([]feed.Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]feed.Article, 0, len(m.hist[source]))
	for _, s := range m.hist[source] {
		out = append(out, s.Article)
	}
	Newest(out)
	return out, nil
}

// Retain implements Store.
func (m *Memory) Retain(_ context.Context, keys []string) error {
	keep := make(map[string]bool, len(keys))
	for _, k := range keys {
		keep[k] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.recs {
		if !keep[k] {
			delete(m.recs, k)
		}
	}
	return nil
}

// Close implements Store.
func (m *Memory) Close() error { return nil }
