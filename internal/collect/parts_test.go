package collect

import (
	"context"
	"fmt"
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

// resumeSource returns its articles in parts like partsSource, handing
// each part a Resume token, and records the Resume each call received.
type resumeSource struct {
	partsSource
	got []any
}

type resumeToken struct{ part int }

func (r *resumeSource) Collect(ctx context.Context, prev sources.State) (sources.Result, error) {
	r.got = append(r.got, prev.Resume)
	res, err := r.partsSource.Collect(ctx, prev)
	if res.More {
		res.State.Resume = &resumeToken{len(res.State.FirstSeen) / r.per}
	}
	return res, err
}

// TestCollectResume: the parts of one collection get the Resume of the
// part before; every collection starts without one, also after one
// cancelled between parts; and no record the store keeps holds one.
func TestCollectResume(t *testing.T) {
	st := store.NewMemory()
	ctx, cancel := context.WithCancel(context.Background())
	src := &resumeSource{partsSource: partsSource{total: 35, per: 10}}
	src.after = func(part int) {
		if part == 1 {
			cancel()
		}
	}
	c, err := New(Options{Sources: []Entry{{Source: src, Key: "parts@1"}}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Collect(ctx, "parts"); err == nil {
		t.Fatal("a cancelled collection returned no error")
	}
	src.after = nil
	if err := c.Collect(context.Background(), "parts"); err != nil {
		t.Fatal(err)
	}
	// The first collection commits part 0 and is cancelled in part 1,
	// which is not committed; the second goes on from 10 stored, in three
	// parts.
	want := []any{nil, &resumeToken{1}, nil, &resumeToken{2}, &resumeToken{3}}
	if len(src.got) != len(want) {
		t.Fatalf("%d calls, want %d: %v", len(src.got), len(want), src.got)
	}
	for i := range want {
		g, _ := src.got[i].(*resumeToken)
		w, _ := want[i].(*resumeToken)
		if (g == nil) != (w == nil) || g != nil && *g != *w {
			t.Errorf("call %d got Resume %v, want %v", i, src.got[i], want[i])
		}
	}
	rec, ok, err := st.Load(context.Background(), "parts@1")
	if err != nil || !ok || rec.State.Resume != nil {
		t.Errorf("stored record: Resume %v (found %v, %v)", rec.State.Resume, ok, err)
	}
	if got, _ := storetest.History(context.Background(), st, "parts"); len(got) != 35 {
		t.Errorf("%d stored, want 35", len(got))
	}
}
