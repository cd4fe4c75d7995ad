package sources

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// ByteBudget bounds the bytes being worked on at once (bodies parsed,
// pages extracted) across the goroutines that share it: a weighted
// semaphore (x/sync's, first come first served, so a large body is not
// starved by small ones) whose requests are capped at the whole budget.
type ByteBudget struct {
	total int64
	sem   *semaphore.Weighted
}

// NewByteBudget returns a budget of total bytes.
func NewByteBudget(total int64) *ByteBudget {
	return &ByteBudget{total: total, sem: semaphore.NewWeighted(total)}
}

// Acquire takes n bytes, or the whole budget when n is larger (such a
// request then runs alone), and returns the function that gives them
// back; or ctx's error, having taken nothing.
func (b *ByteBudget) Acquire(ctx context.Context, n int64) (release func(), err error) {
	n = min(max(n, 1), b.total)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return func() { b.sem.Release(n) }, nil
}
