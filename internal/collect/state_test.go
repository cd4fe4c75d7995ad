package collect

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
	"github.com/heraldfeed/herald/sources/upstream"
)

func rss(title string) string {
	return `<rss version="2.0"><channel><title>Up</title><link>http://up.example/</link><description>d</description>` +
		`<item><guid>1</guid><title>` + title + `</title><link>http://up.example/1</link></item></channel></rss>`
}

func titles(c *Collector) map[string][]string {
	out := map[string][]string{}
	for _, name := range c.order {
		list, err := storetest.History(context.Background(), c.store, name)
		if err != nil {
			panic(err)
		}
		for _, a := range list {
			out[name] = append(out[name], a.Title)
		}
	}
	return out
}

// TestTwoSourcesOneUpstream: two feed sources on one URL, sharing the
// Fetcher as serve wires them, both publish the upstream's new content
// once its content and ETag change.
func TestTwoSourcesOneUpstream(t *testing.T) {
	srv := sourcetest.NewServer(t, rss("Story v1"))
	srv.SetETag(`"v1"`)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	var entries []Entry
	for _, cfg := range []upstream.Config{{Name: "a", URL: srv.URL}, {Name: "b", URL: srv.URL, Timezone: time.FixedZone("X", 3600)}} {
		src, err := upstream.New(cfg, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, Entry{Source: src, Key: cfg.Name})
	}
	c, err := New(Options{Sources: entries})
	if err != nil {
		t.Fatal(err)
	}
	collect := func(want string) {
		t.Helper()
		if err := c.CollectAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string][]string{"a": {want}, "b": {want}}, titles(c)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	collect("Story v1")
	collect("Story v1") // two 304s
	srv.Set(200, rss("Story v2"))
	srv.SetETag(`"v2"`)
	collect("Story v2")
	if n := srv.Reqs.Load(); n != 6 {
		t.Errorf("upstream requests = %d, want 6", n)
	}
}

// stateSource records the state it is given and returns a new one.
type stateSource struct {
	name  string
	got   []sources.State
	fail  error
	count int
}

func (s *stateSource) Name() string { return s.name }
func (s *stateSource) Collect(_ context.Context, prev sources.State) (sources.Result, error) {
	s.got = append(s.got, prev)
	if s.fail != nil {
		return sources.Result{State: prev}, s.fail
	}
	s.count++
	next := prev
	next.Validators = sources.Validators{ETag: fmt.Sprintf(`"%d"`, s.count)}
	return sources.Result{Articles: []feed.Article{art(s.name, 0)}, State: next}, nil
}

// TestRestore: a collector over a store takes up the record of a key it
// has and starts fresh for one it has not, as a reload does.
func TestRestore(t *testing.T) {
	st := store.NewMemory()
	first := &stateSource{name: "s"}
	c1, err := New(Options{Sources: []Entry{{Source: first, Key: "s@1"}}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := c1.Collect(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		key       string
		wantETag  string
		wantItems int
	}{
		{"s@1", `"1"`, 1}, // unchanged configuration: state and articles kept
		{"s@2", "", 1},    // changed: fresh state, the history stays
	} {
		t.Run(tc.key, func(t *testing.T) {
			src := &stateSource{name: "s"}
			c, err := New(Options{Sources: []Entry{{Source: src, Key: tc.key}}, Store: st})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Restore(context.Background()); err != nil {
				t.Fatal(err)
			}
			snap, items := c.Snapshots()[0], c.Status()[0].Items
			if items != tc.wantItems || snap.Collected != (tc.wantItems > 0) {
				t.Errorf("restored: %d articles, collected %v; want %d", items, snap.Collected, tc.wantItems)
			}
			if err := c.Collect(context.Background(), "s"); err != nil {
				t.Fatal(err)
			}
			if got := src.got[0].Validators.ETag; got != tc.wantETag {
				t.Errorf("state passed to the source has ETag %q, want %q", got, tc.wantETag)
			}
		})
	}

	st.Retain(context.Background(), []string{"s@2"})
	if _, ok, _ := st.Load(context.Background(), "s@1"); ok {
		t.Error("Retain kept a key it was not given")
	}
}

// TestBackoffIsNoFailure: a source that skips a collection because it is
// backing off is not reported as failing: no error, no failure status or
// metric, no ERROR line.
func TestBackoffIsNoFailure(t *testing.T) {
	src := &stateSource{name: "s"}
	var logs bytes.Buffer
	m, _ := NewMetrics(prometheus.NewRegistry())
	c, err := New(Options{Sources: []Entry{{Source: src, Key: "s"}}, Metrics: m, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Collect(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	src.fail = fmt.Errorf("%w: 1 failed collection in a row", sources.ErrBackoff)
	if err := c.Collect(context.Background(), "s"); err != nil {
		t.Errorf("Collect while backing off = %v, want nil", err)
	}
	st := c.Status()[0]
	if st.LastError != "" || !st.LastFailure.IsZero() || st.Items != 1 {
		t.Errorf("status after a skip = %+v, want no failure and the article kept", st)
	}
	for result, want := range map[string]float64{"success": 1, "skipped": 1, "failure": 0} {
		var d dto.Metric
		if err := m.collections.WithLabelValues("s", result).Write(&d); err != nil {
			t.Fatal(err)
		}
		if got := d.GetCounter().GetValue(); got != want {
			t.Errorf("collections_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "msg=skipped") {
		t.Errorf("logs:\n%s\nwant an INFO skipped line and no ERROR", logs.String())
	}
	if n := strings.Count(logs.String(), "source=s"); n != 2 {
		t.Errorf("%d lines with source=s, want 2 (one per collection, the attribute once):\n%s", n, logs.String())
	}
}

// TestLoadStatus: a collector that does not collect (a follower replica)
// reports the status the collecting one stored, and nothing else of it.
func TestLoadStatus(t *testing.T) {
	st := store.NewMemory()
	leader, err := New(Options{Sources: []Entry{{Source: &stateSource{name: "s"}, Key: "s@1"}}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := leader.Collect(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	follower, err := New(Options{Sources: []Entry{{Source: &stateSource{name: "s"}, Key: "s@1"}}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if got := follower.Status()[0]; !got.LastSuccess.IsZero() {
		t.Fatalf("before LoadStatus: %+v", got)
	}
	if err := follower.LoadStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, want := follower.Status()[0], leader.Status()[0]
	if got.Name != "s" || !got.LastSuccess.Equal(want.LastSuccess) || !got.LastRun.Equal(want.LastRun) || got.Items != want.Items || got.Items == 0 {
		t.Errorf("follower status %+v, want the leader's %+v", got, want)
	}
}
