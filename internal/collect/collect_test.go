package collect

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/site"
	"github.com/heraldfeed/herald/sources"
)

// fakeSource returns whatever its function says; it stands in for real
// sources so the publisher's keep-last-good rules can be driven exactly.
type fakeSource struct {
	name string
	mu   sync.Mutex
	fn   func() ([]feed.Article, error)
}

func (f *fakeSource) Name() string { return f.name }
func (f *fakeSource) Collect(ctx context.Context, prev sources.State) (sources.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arts, err := f.fn()
	return sources.Result{Articles: arts, State: prev}, err
}
func (f *fakeSource) set(fn func() ([]feed.Article, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fn = fn
}

var _ sources.Source = (*fakeSource)(nil)

var day = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

func art(id string, age time.Duration) feed.Article {
	return feed.Article{ID: "https://e.org/" + id, URL: "https://e.org/" + id, Title: "Title " + id,
		Content: "<p>Body of " + id + "</p>", Published: day.Add(-age)}
}

// publisher is what cmd/herald wires: a Collector, and a site Builder
// over its snapshots.
type publisher struct {
	*Collector
	site *site.Builder
}

func (p *publisher) Build() ([]feed.File, error) {
	var inputs []site.Input
	for _, s := range p.Snapshots() {
		inputs = append(inputs, site.Input{Name: s.Name, Collected: s.Collected, OK: s.OK})
	}
	files, err := p.site.Build(context.Background(), inputs, day, nil)
	if err != nil {
		return nil, err
	}
	// As generate writes: with every article page and full archive page.
	err = p.site.Rest(context.Background(), p.order, func(f feed.File) error {
		files = append(files, f)
		return nil
	})
	return files, err
}

func entries(srcs []sources.Source) []Entry {
	var out []Entry
	for _, s := range srcs {
		out = append(out, Entry{Source: s, Key: s.Name()})
	}
	return out
}

func newPublisher(t *testing.T, s site.Site, srcs ...sources.Source) *publisher {
	t.Helper()
	c, err := New(Options{Sources: entries(srcs), Now: func() time.Time { return day }})
	if err != nil {
		t.Fatal(err)
	}
	return &publisher{c, site.New(s, site.Options{Log: c.store})}
}

func newTestPublisher(t *testing.T, srcs ...sources.Source) *publisher {
	t.Helper()
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name())
	}
	return newPublisher(t, site.Site{Title: "Test", BaseURL: "https://news.example/", Feeds: []site.FeedSpec{
		{Name: "all", Title: "All", Sources: names, Filter: feed.Filter{Limit: 50}},
		{Name: "first", Title: "First", Sources: names[:1], Filter: feed.Filter{Limit: 50}},
	}}, srcs...)
}

func filesByPath(files []feed.File) map[string]feed.File {
	m := map[string]feed.File{}
	for _, f := range files {
		m[f.Path] = f
	}
	return m
}

func itemIDs(t *testing.T, f feed.File) []string {
	t.Helper()
	var doc struct {
		Items []struct{ ID string }
	}
	if err := json.Unmarshal(f.Body, &doc); err != nil {
		t.Fatalf("%s: %v", f.Path, err)
	}
	var ids []string
	for _, it := range doc.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestFailingSourceKeepsLastGood(t *testing.T) {
	good := &fakeSource{name: "good", fn: func() ([]feed.Article, error) { return []feed.Article{art("g1", time.Hour)}, nil }}
	flaky := &fakeSource{name: "flaky", fn: func() ([]feed.Article, error) { return []feed.Article{art("f1", 2*time.Hour)}, nil }}
	p := newTestPublisher(t, good, flaky)
	if err := p.CollectAll(context.Background()); err != nil {
		t.Fatal(err)
	}

	flaky.set(func() ([]feed.Article, error) { return nil, errors.New("upstream is down") })
	err := p.CollectAll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "collecting flaky") || !strings.Contains(err.Error(), "upstream is down") {
		t.Fatalf("error = %v, want one naming the source and reason", err)
	}
	files, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://e.org/g1", "https://e.org/f1"}
	if diff := cmp.Diff(want, itemIDs(t, filesByPath(files)["all.json"])); diff != "" {
		t.Errorf("items after failure (-want +got):\n%s", diff)
	}
	for _, f := range files {
		if strings.Contains(string(f.Body), "upstream is down") {
			t.Errorf("%s carries the error text", f.Path)
		}
	}
	st := p.Status()
	if st[1].Name != "flaky" || st[1].LastError == "" || st[1].LastFailure.IsZero() || st[1].Items != 1 {
		t.Errorf("status = %+v", st[1])
	}

	// A panic is recovered and handled like any failure.
	flaky.set(func() ([]feed.Article, error) { panic("boom") })
	if err := p.Collect(context.Background(), "flaky"); err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("error = %v, want the panic", err)
	}
	files, _ = p.Build()
	if diff := cmp.Diff(want, itemIDs(t, filesByPath(files)["all.json"])); diff != "" {
		t.Errorf("items after panic (-want +got):\n%s", diff)
	}
}

// TestPartialResultKeepsHistory: a partial result (articles and an error)
// is merged into the history like any other: the article it lacks stays,
// as an item an upstream dropped does, until retention removes it.
func TestPartialResultKeepsHistory(t *testing.T) {
	src := &fakeSource{name: "files", fn: func() ([]feed.Article, error) {
		return []feed.Article{art("a", time.Hour), art("b", 2*time.Hour)}, nil
	}}
	p := newTestPublisher(t, src)
	p.CollectAll(context.Background())
	src.set(func() ([]feed.Article, error) {
		return []feed.Article{art("a", time.Hour)}, errors.New("reading b.txt: permission denied")
	})
	if err := p.CollectAll(context.Background()); err == nil {
		t.Fatal("want the partial error")
	}
	files, _ := p.Build()
	if diff := cmp.Diff([]string{"https://e.org/a", "https://e.org/b"}, itemIDs(t, filesByPath(files)["all.json"])); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFeedsWaitForFirstCollection(t *testing.T) {
	a := &fakeSource{name: "a", fn: func() ([]feed.Article, error) { return []feed.Article{art("a", 0)}, nil }}
	b := &fakeSource{name: "b", fn: func() ([]feed.Article, error) { return []feed.Article{art("b", 0)}, nil }}
	p := newPublisher(t, site.Site{Title: "T", BaseURL: "https://n.example/", Feeds: []site.FeedSpec{
		{Name: "fa", Title: "A", Sources: []string{"a"}}, {Name: "fb", Title: "B", Sources: []string{"b"}},
	}}, a, b)
	files, _ := p.Build()
	// No feed yet: the index, the (empty) OPML list and the static files.
	got := keys(filesByPath(files))
	slices.Sort(got)
	if diff := cmp.Diff([]string{"favicon.ico", "feed.css", "feeds.opml", "index.html"}, got); diff != "" {
		t.Fatalf("before any collection (-want +got):\n%s", diff)
	}
	p.Collect(context.Background(), "a")
	m := filesByPath(mustBuild(t, p))
	if _, ok := m["fa.rss"]; !ok {
		t.Error("fa not published after its source was collected")
	}
	if _, ok := m["fb.rss"]; ok {
		t.Error("fb published before its source was collected")
	}

	// A first collection that fails, or is cancelled, publishes nothing.
	b.set(func() ([]feed.Article, error) { return nil, errors.New("folder missing") })
	p.Collect(context.Background(), "b")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Collect(ctx, "b")
	if _, ok := filesByPath(mustBuild(t, p))["fb.rss"]; ok {
		t.Error("fb published (empty) after its first collection failed")
	}
	if got := p.Failed(); len(got) != 1 || got[0] != "b" {
		t.Errorf("Failed() = %v, want [b]", got)
	}
}

// TestCancelledIsNotAFailure: a collection cancelled from outside (a
// reload, shutdown) records no failure.
func TestCancelledIsNotAFailure(t *testing.T) {
	a := &fakeSource{name: "a", fn: func() ([]feed.Article, error) { return nil, context.Canceled }}
	p := newTestPublisher(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Collect(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if st := p.Status()[0]; !st.LastFailure.IsZero() || st.LastError != "" || st.Running {
		t.Errorf("status after a cancelled collection: %+v", st)
	}
}

func mustBuild(t *testing.T, p *publisher) []feed.File {
	t.Helper()
	files, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestBuildRendersOnlyChangedFeeds(t *testing.T) {
	a := &fakeSource{name: "a", fn: func() ([]feed.Article, error) { return []feed.Article{art("a", 0)}, nil }}
	b := &fakeSource{name: "b", fn: func() ([]feed.Article, error) { return []feed.Article{art("b", 0)}, nil }}
	p := newTestPublisher(t, a, b) // "all" merges a and b; "first" is a alone
	p.CollectAll(context.Background())
	first := filesByPath(mustBuild(t, p))

	b.set(func() ([]feed.Article, error) { return []feed.Article{art("b2", 0)}, nil })
	p.Collect(context.Background(), "b")
	second := filesByPath(mustBuild(t, p))
	// Same backing array means the cached render was reused.
	if &first["first.rss"].Body[0] != &second["first.rss"].Body[0] {
		t.Error("feed 'first' was rendered again though its source did not change")
	}
	if string(first["all.rss"].Body) == string(second["all.rss"].Body) {
		t.Error("feed 'all' did not change after its source did")
	}
}

func TestBuildPagesAndIndex(t *testing.T) {
	local := art("local", 0)
	local.URL, local.ID, local.Page = "https://news.example/articles/x-1.html", "urn:uuid:1", "articles/x-1.html"
	local.Content = `<p>See <a href="../other.html">this</a>.</p>`
	src := &fakeSource{name: "files", fn: func() ([]feed.Article, error) { return []feed.Article{local, art("remote", time.Hour)}, nil }}
	p := newTestPublisher(t, src)
	p.CollectAll(context.Background())
	m := filesByPath(mustBuild(t, p))
	page, ok := m["articles/x-1.html"]
	if !ok {
		t.Fatalf("no page for the local article; files: %v", keys(m))
	}
	for _, want := range []string{
		"<title>Title local · Test</title>",
		`<link rel="canonical" href="https://news.example/articles/x-1.html">`,
		`href="https://news.example/other.html"`, // resolved against the page URL
		`<link rel="alternate" type="application/rss+xml" title="All (RSS)" href="../all.rss">`,
	} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("page lacks %s:\n%s", want, page.Body)
		}
	}
	if len(m) != 13 { // 2 feeds × (3 formats + page), index, one article page, feeds.opml, feed.css, favicon.ico
		t.Errorf("got %d files: %v", len(m), keys(m))
	}
	index := string(m["index.html"].Body)
	for _, f := range feed.Formats {
		want := `<link rel="alternate" type="` + f.MediaType + `" title="All (`
		if !strings.Contains(index, want) || !strings.Contains(index, `href="all`+f.Ext+`"`) {
			t.Errorf("index lacks autodiscovery for %s", f.Name)
		}
	}
	if !m["index.html"].Modified.Equal(day) {
		t.Errorf("index Modified = %v, want the newest item's date %v", m["index.html"].Modified, day)
	}
}

func keys(m map[string]feed.File) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDuplicatesAcrossSources: an item that two sources of one feed both
// carry (same ID, or the same link up to tracking parameters) appears once.
// A fragment is part of the link (posts on one page differ by anchor), so
// it is not ignored here.
func TestDuplicatesAcrossSources(t *testing.T) {
	x := art("x", time.Hour)
	y := art("y", 2*time.Hour)
	y.Source = "a"
	yAgain := y
	yAgain.ID, yAgain.URL, yAgain.Source = "upstream-guid-77", y.URL+"?utm_source=feed", "b"
	a := &fakeSource{name: "a", fn: func() ([]feed.Article, error) { return []feed.Article{x, y}, nil }}
	b := &fakeSource{name: "b", fn: func() ([]feed.Article, error) { return []feed.Article{x, yAgain}, nil }}
	p := newTestPublisher(t, a, b)
	if err := p.CollectAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := itemIDs(t, filesByPath(mustBuild(t, p))["all.json"])
	if len(got) != 2 {
		t.Errorf("all.json items = %v, want x and y once each", got)
	}
}

func TestBuildRendersEditedPages(t *testing.T) {
	local := art("local", 0)
	local.ID, local.Page = "urn:uuid:2", "articles/l-2.html"
	a := &fakeSource{name: "files", fn: func() ([]feed.Article, error) { return []feed.Article{local}, nil }}
	b := &fakeSource{name: "web", fn: func() ([]feed.Article, error) { return []feed.Article{art("w", 0)}, nil }}
	p := newTestPublisher(t, a, b)
	p.CollectAll(context.Background())
	first := filesByPath(mustBuild(t, p))
	if !strings.Contains(string(first["articles/l-2.html"].Body), "<h1>Title local</h1>") {
		t.Error("no page for the local article")
	}
	local.Title = "Edited"
	a.set(func() ([]feed.Article, error) { return []feed.Article{local}, nil })
	p.Collect(context.Background(), "files")
	third := filesByPath(mustBuild(t, p))
	if !strings.Contains(string(third["articles/l-2.html"].Body), "<h1>Edited</h1>") {
		t.Error("an edited article's page was not rendered again")
	}
}
