package collect

import (
	"context"
	"sync"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// Record is everything kept about one source between collections: one
// row of a store.
type Record struct {
	// State is what the source returned for its next collection.
	State sources.State `json:"state"`
	// Articles are the last good articles, normalized; nil until a
	// collection succeeded.
	Articles []feed.Article `json:"articles,omitempty"`
	// Status is the last collections' outcome.
	Status Status `json:"status"`
}

// Store keeps Records by key. The key is a source's Entry.Key, which
// changes with the source's configuration, so a reloaded source whose
// configuration is unchanged finds its record again and a changed one
// starts fresh.
type Store interface {
	// Load returns the record under key; ok is false when there is none.
	Load(ctx context.Context, key string) (rec Record, ok bool, err error)
	// Save replaces the record under key.
	Save(ctx context.Context, key string, rec Record) error
}

// Memory is a Store in memory, for one process's lifetime. It is safe
// for concurrent use.
type Memory struct {
	mu   sync.Mutex
	recs map[string]Record
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{recs: map[string]Record{}} }

// Load implements Store.
func (m *Memory) Load(_ context.Context, key string) (Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[key]
	return rec, ok, nil
}

// Save implements Store.
func (m *Memory) Save(_ context.Context, key string, rec Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[key] = rec
	return nil
}

// Retain drops the records of every key but keys, so the states of
// sources removed or changed by a reload do not pile up.
func (m *Memory) Retain(keys []string) {
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
}
