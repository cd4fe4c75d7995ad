package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
	"github.com/heraldfeed/herald/sources"
)

// partsSource returns its articles in parts of per, counting in its state
// how many it returned, and calls after after each part.
type partsSource struct {
	total, per int
	after      func(part int)
}

func (p *partsSource) Name() string { return "parts" }

func (p *partsSource) Collect(_ context.Context, prev sources.State) (sources.Result, error) {
	done := len(prev.FirstSeen)
	next := sources.State{FirstSeen: maps(prev.FirstSeen)}
	var arts []feed.Article
	for i := done; i < min(done+p.per, p.total); i++ {
		a := art(fmt.Sprint("p", i), 0)
		arts = append(arts, a)
		next.FirstSeen[a.ID] = day
	}
	if p.after != nil {
		p.after(done / p.per)
	}
	return sources.Result{Articles: arts, State: next, More: len(next.FirstSeen) < p.total}, nil
}

func maps(m map[string]time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestCollectParts: a source returning its change in parts (More) is
// collected again at once until done, each part committed: the store ends
// with every article and the status counts them. Cancelled after the
// second part, the first two stay committed, and the next collection goes
// on from there.
func TestCollectParts(t *testing.T) {
	st := store.NewMemory()
	src := &partsSource{total: 25, per: 10}
	c, err := New(Options{Sources: []Entry{{Source: src, Key: "parts@1"}}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Collect(context.Background(), "parts"); err != nil {
		t.Fatal(err)
	}
	if got, _ := storetest.History(context.Background(), st, "parts"); len(got) != 25 || c.Status()[0].Items != 25 {
		t.Fatalf("after a collection in parts: %d stored, status %d; want 25", len(got), c.Status()[0].Items)
	}

	st2 := store.NewMemory()
	ctx, cancel := context.WithCancel(context.Background())
	src2 := &partsSource{total: 25, per: 10, after: func(part int) {
		if part == 2 {
			cancel()
		}
	}}
	c2, _ := New(Options{Sources: []Entry{{Source: src2, Key: "parts@1"}}, Store: st2})
	if err := c2.Collect(ctx, "parts"); err == nil {
		t.Fatal("a cancelled collection returned no error")
	}
	if got, _ := storetest.History(context.Background(), st2, "parts"); len(got) != 20 {
		t.Fatalf("cancelled during the third part: %d stored, want the first two parts' 20", len(got))
	}
	src2.after = nil
	c3, _ := New(Options{Sources: []Entry{{Source: src2, Key: "parts@1"}}, Store: st2})
	if err := c3.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c3.Collect(context.Background(), "parts"); err != nil {
		t.Fatal(err)
	}
	if got, _ := storetest.History(context.Background(), st2, "parts"); len(got) != 25 {
		t.Fatalf("after a restart: %d stored, want 25", len(got))
	}
}

// gatedStore is a Memory store whose save of each part but the last
// waits (up to a bound) for the source to be asked for the next part, and
// whose saves fail from the failAt-th on.
type gatedStore struct {
	*store.Memory
	asked  chan int // the parts the source was asked for
	parts  int
	saves  int
	failAt int
	waited []bool // per save but the last: the next part was read meanwhile
}

func (g *gatedStore) Save(ctx context.Context, c store.Collection) (bool, error) {
	g.saves++
	if g.saves >= g.failAt {
		return false, errors.New("database or disk is full")
	}
	if part := g.saves - 1; part < g.parts-1 {
		met := false
		for timeout := time.After(5 * time.Second); !met; {
			select {
			case p := <-g.asked:
				met = p == part+1
			case <-timeout:
				g.waited = append(g.waited, false)
				return g.Memory.Save(ctx, c)
			}
		}
		g.waited = append(g.waited, true)
	}
	return g.Memory.Save(ctx, c)
}

// TestCollectPartsReadAhead: the next part of a large change is read
// while the one before is saved; a part whose save fails ends the
// collection, and the part read meanwhile is never saved.
func TestCollectPartsReadAhead(t *testing.T) {
	t.Run("overlap", func(t *testing.T) {
		st := &gatedStore{Memory: store.NewMemory(), asked: make(chan int, 10), parts: 3, failAt: 100}
		src := &partsSource{total: 30, per: 10, after: func(part int) { st.asked <- part }}
		c, _ := New(Options{Sources: []Entry{{Source: src, Key: "parts@1"}}, Store: st})
		if err := c.Collect(context.Background(), "parts"); err != nil {
			t.Fatal(err)
		}
		if got, _ := storetest.History(context.Background(), st, "parts"); len(got) != 30 {
			t.Fatalf("%d stored, want 30", len(got))
		}
		// Parts 0 and 1 had more to follow: their saves met the read of
		// the next part.
		if want := []bool{true, true}; !slices.Equal(st.waited, want) {
			t.Errorf("the next part was read during saves %v, want %v", st.waited, want)
		}
	})
	t.Run("failed save", func(t *testing.T) {
		st := &gatedStore{Memory: store.NewMemory(), asked: make(chan int, 10), parts: 3, failAt: 2}
		src := &partsSource{total: 30, per: 10, after: func(part int) { st.asked <- part }}
		c, _ := New(Options{Sources: []Entry{{Source: src, Key: "parts@1"}}, Store: st})
		err := c.Collect(context.Background(), "parts")
		if err == nil || !strings.Contains(err.Error(), "disk is full") {
			t.Fatalf("Collect = %v, want the save error", err)
		}
		if got, _ := storetest.History(context.Background(), st, "parts"); len(got) != 10 {
			t.Errorf("%d stored, want the first part's 10", len(got))
		}
		if st.saves != 2 {
			t.Errorf("%d saves, want 2: nothing after the failed one", st.saves)
		}
	})
}
