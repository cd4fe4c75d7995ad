package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/heraldfeed/herald/feed"
)

// Memory is a Store in memory, for one process's lifetime: what
// generate --no-store and tests use.
type Memory struct {
	mu    sync.Mutex
	recs  map[string]Record
	hist  map[string]map[string]Stored // by source, by ID
	seq   int64
	pages map[string]map[string]int // by feed, by ID
	docs  map[string][]Doc          // by feed, oldest first
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{recs: map[string]Record{}, hist: map[string]map[string]Stored{},
		pages: map[string]map[string]int{}, docs: map[string][]Doc{}}
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
	gone := c.Prune(h)
	for _, id := range gone {
		delete(h, id)
	}
	return len(changes) > 0 || len(gone) > 0, nil
}

// Stamp implements Store: the history's size, newest sequence number and
// the sum of its update times, as the SQL backends compute it.
func (m *Memory) Stamp(_ context.Context, source string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n, top, sum int64
	for _, s := range m.hist[source] {
		n++
		top = max(top, s.Seq)
		sum += s.Article.Updated.Unix()
	}
	return StampOf(n, top, sum), nil
}

// StampOf spells a history's stamp (Store.Stamp) from its size, its
// newest sequence number and the sum of its update times (Unix seconds):
// an article added changes the first two, one removed the first, one
// edited the last (an edit moves Updated forward).
func StampOf(n, top, sum int64) string { return fmt.Sprintf("%d/%d/%d", n, top, sum) }

// Articles implements Store.
func (m *Memory) Articles(_ context.Context, source string, n int) ([]feed.Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]feed.Article, 0, len(m.hist[source]))
	for _, s := range m.hist[source] {
		out = append(out, s.Article)
	}
	Newest(out)
	if n > 0 && len(out) > n {
		out = out[:n]
	}
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

// Archive implements Store.
func (m *Memory) Archive(_ context.Context, feed string) (Archive, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := Archive{Pages: make(map[string]int, len(m.pages[feed]))}
	for id, p := range m.pages[feed] {
		a.Pages[id] = p
	}
	for _, d := range m.docs[feed] {
		a.Full = max(a.Full, d.Page)
	}
	return a, nil
}

// SaveArchive implements Store.
func (m *Memory) SaveArchive(_ context.Context, feed string, add map[string]int, full []Doc) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pages[feed]
	if p == nil {
		p = map[string]int{}
		m.pages[feed] = p
	}
	for id, page := range add {
		p[id] = page
	}
	m.docs[feed] = append(m.docs[feed], full...)
	return nil
}

// Docs implements Store.
func (m *Memory) Docs(_ context.Context, feed string) ([]Doc, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Doc(nil), m.docs[feed]...), nil
}

// Doc implements Store.
func (m *Memory) Doc(_ context.Context, path string) (Doc, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, docs := range m.docs {
		for _, d := range docs {
			if d.Path == path {
				return d, true, nil
			}
		}
	}
	return Doc{}, false, nil
}

// ArticleByPage implements Store. (A scan: Memory holds small runs.)
func (m *Memory) ArticleByPage(_ context.Context, page string) (feed.Article, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.hist {
		for _, st := range h {
			if st.Article.Page == page {
				return st.Article, true, nil
			}
		}
	}
	return feed.Article{}, false, nil
}

// PageArticles implements Store.
func (m *Memory) PageArticles(_ context.Context, feedName string, page int) ([]feed.Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []feed.Article
	for id, p := range m.pages[feedName] {
		if p != page {
			continue
		}
		for _, h := range m.hist {
			if st, ok := h[id]; ok {
				out = append(out, st.Article)
				break
			}
		}
	}
	Newest(out)
	return out, nil
}
