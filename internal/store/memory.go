package store

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/heraldfeed/herald/feed"
)

// Memory is a Store in memory, for one process's lifetime: what
// generate --no-store and tests use.
type Memory struct {
	mu   sync.Mutex
	recs map[string]Record
	hist map[string]map[string]Stored // by source, by ID
	gone map[string][]Slot            // by source, in sequence order
	revs map[string]int64             // by source
	seq  int64
	rev  int64
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{recs: map[string]Record{}, hist: map[string]map[string]Stored{},
		gone: map[string][]Slot{}, revs: map[string]int64{}}
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
	if c.Articles == nil {
		m.recs[c.Key] = c.Record
		return false, nil
	}
	defer func() {
		c.Record.Status.Items = len(m.hist[c.Source])
		m.recs[c.Key] = c.Record
	}()
	h := m.hist[c.Source]
	if h == nil {
		h = map[string]Stored{}
		m.hist[c.Source] = h
	}
	prior := make(map[string]Prior, len(h))
	seqs := make([]int64, 0, len(h))
	for id, st := range h {
		prior[id] = priorOf(st)
		seqs = append(seqs, st.Seq)
	}
	p := c.Plan(History{ByID: prior, FreshFrom: FreshFrom(seqs, c.Fresh)})
	if !p.Changed() {
		return false, nil
	}
	m.rev++
	for _, st := range p.Write {
		if st.Seq == 0 {
			m.seq++
			st.Seq = m.seq
		}
		h[st.Article.ID] = st
	}
	for _, id := range p.Remove {
		delete(h, id)
	}
	gone := append(m.gone[c.Source], p.Leave...)
	slices.SortFunc(gone, func(a, b Slot) int { return cmp.Compare(a.Seq, b.Seq) })
	m.gone[c.Source] = gone
	m.revs[c.Source] = m.rev
	return true, nil
}

// Slots implements Store.
func (m *Memory) Slots(_ context.Context, source string) ([]Slot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.gone[source])
	for _, st := range m.hist[source] {
		out = append(out, slotOf(source, st))
	}
	slices.SortFunc(out, func(a, b Slot) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// slotOf is the place of a stored article of source.
func slotOf(source string, st Stored) Slot {
	return Slot{Seq: st.Seq, Source: source, ID: st.Article.ID, Hash: st.Hash, Published: st.Article.Published}
}

// Entries implements Store.
func (m *Memory) Entries(_ context.Context, sources []string, from, to int64) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	for _, src := range sources {
		for _, st := range m.hist[src] {
			if st.Seq >= from && st.Seq <= to {
				out = append(out, Entry{Seq: st.Seq, Article: st.Article})
			}
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// Mark implements Store.
func (m *Memory) Mark(_ context.Context, source string) (Mark, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Mark{Rev: m.revs[source], Count: len(m.hist[source])}, nil
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

// ArticleByPage implements Store. (A scan: Memory holds small runs.)
func (m *Memory) ArticleByPage(_ context.Context, page string) (feed.Article, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best *Stored
	for _, h := range m.hist {
		for _, st := range h {
			if st.Article.Page == page && (best == nil || st.Seq < best.Seq) {
				best = &st
			}
		}
	}
	if best == nil {
		return feed.Article{}, false, nil
	}
	return best.Article, true, nil
}

// priorOf is what Plan needs of st.
func priorOf(st Stored) Prior {
	return Prior{ID: st.Article.ID, Seq: st.Seq, Hash: st.Hash, FirstSeen: st.FirstSeen,
		Published: st.Article.Published, Updated: st.Article.Updated}
}
