// Package sourcetest helps test sources: Keeper plays the caller's part
// (internal/collect's), keeping a source's state and last good articles
// between collections the way the real caller does.
//
// It imports feed and sources only, and only tests import it.
package sourcetest

import (
	"context"
	"sync"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// Keeper collects a source as internal/collect does: it passes the state
// the previous collection returned, and keeps the last good articles when
// a collection returns none (failure, backoff, 304).
type Keeper struct {
	Src sources.Source

	mu    sync.Mutex
	state sources.State
	good  []feed.Article
	last  sources.Result
}

// Collect runs one collection and returns the articles the caller would
// publish, with the source's error.
func (k *Keeper) Collect(ctx context.Context) ([]feed.Article, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	res, err := k.Src.Collect(ctx, k.state)
	k.state, k.last = res.State, res
	if res.Articles != nil {
		k.good = res.Articles
	}
	return k.good, err
}

// State returns the state the last collection returned.
func (k *Keeper) State() sources.State {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.state
}

// Last returns the last collection's Result as the source returned it.
func (k *Keeper) Last() sources.Result {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.last
}

var (
	keepersMu sync.Mutex
	keepers   = map[sources.Source]*Keeper{}
)

// For returns the one Keeper of src, so a test can collect a source
// repeatedly as if the caller kept its state.
func For(src sources.Source) *Keeper {
	keepersMu.Lock()
	defer keepersMu.Unlock()
	k, ok := keepers[src]
	if !ok {
		k = &Keeper{Src: src}
		keepers[src] = k
	}
	return k
}
