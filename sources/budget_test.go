package sources

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestByteBudget(t *testing.T) {
	b := NewByteBudget(100)
	ctx := context.Background()
	var inUse, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			n := int64(30 + i%3*10) // 30, 40 or 50 bytes
			release, err := b.Acquire(ctx, n)
			if err != nil {
				t.Error(err)
				return
			}
			cur := inUse.Add(n)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inUse.Add(-n)
			release()
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 100 || p < 30 {
		t.Errorf("peak in use = %d bytes, want 30..100", p)
	}

	// Larger than the whole budget: taken alone.
	release, err := b.Acquire(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(cctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("acquire while the budget is spent = %v, want the context's error", err)
	}
	release()
	if r, err := b.Acquire(ctx, 100); err != nil {
		t.Errorf("acquire after release: %v", err)
	} else {
		r()
	}
}
