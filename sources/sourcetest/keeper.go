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
		k.good = withKept(k.good, res)
	}
	return k.good, err
}

// withKept is what the caller publishes after res: res.Articles and the
// articles of good that res.Kept names, in good's order, then new ones.
func withKept(good []feed.Article, res sources.Result) []feed.Article {
	keep := make(map[string]bool, len(res.Kept))
	for _, id := range res.Kept {
		keep[id] = true
	}
	fresh := make(map[string]*feed.Article, len(res.Articles))
	for i := range res.Articles {
		fresh[res.Articles[i].ID] = &res.Articles[i]
	}
	out := make([]feed.Article, 0, len(res.Articles)+len(res.Kept))
	for _, a := range good {
		switch {
		case fresh[a.ID] != nil:
			out = append(out, *fresh[a.ID])
			delete(fresh, a.ID)
		case keep[a.ID]:
			out = append(out, a)
		}
	}
	for _, a := range res.Articles {
		if fresh[a.ID] != nil {
			out = append(out, a)
		}
	}
	return out
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
