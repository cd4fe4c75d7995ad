package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

var upNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// upRSS returns an RSS 2.0 document with the given <item> elements.
func upRSS(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.com/</link><description>D</description>
` + strings.Join(items, "\n") + `
</channel></rss>`
}

// upItem returns an RSS <item>; empty arguments are left out.
func upItem(guid, title, link, date string) string {
	var b strings.Builder
	b.WriteString("<item>")
	if guid != "" {
		fmt.Fprintf(&b, "<guid>%s</guid>", guid)
	}
	if title != "" {
		fmt.Fprintf(&b, "<title>%s</title>", title)
	}
	if link != "" {
		fmt.Fprintf(&b, "<link>%s</link>", link)
	}
	if date != "" {
		fmt.Fprintf(&b, "<pubDate>%s</pubDate>", date)
	}
	b.WriteString("<description>Body of " + title + "</description></item>")
	return b.String()
}

func upFeed(t testing.TB, f *sources.Fetcher, name, url string) *Feed {
	t.Helper()
	src, err := New(Config{Name: name, URL: url}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.Now = func() time.Time { return upNow }
	return src
}

func upTitles(as []feed.Article) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Title)
	}
	return out
}

func TestFeedNotModified(t *testing.T) {
	const etag, lastMod = `"abc"`, "Sun, 01 Mar 2026 10:00:00 GMT"
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		io.WriteString(w, upRSS(upItem("1", "One", "https://example.com/1", "")))
	}))
	defer srv.Close()
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	src := upFeed(t, f, "n", srv.URL)
	parses := 0
	parse := func(ctx context.Context, r *sources.Response, next *sources.State) ([]feed.Article, error) {
		parses++
		return src.parse(ctx, r, next)
	}
	// The caller's part: it keeps the state between collections.
	first, err := f.Poll(context.Background(), src.cfg.URL, sources.State{}, src.Now, src.log, parse)
	if err != nil {
		t.Fatal(err)
	}
	if want := (sources.Validators{ETag: etag, LastModified: lastMod}); first.State.Validators != want {
		t.Errorf("state validators = %+v, want %+v", first.State.Validators, want)
	}
	second, err := f.Poll(context.Background(), src.cfg.URL, first.State, src.Now, src.log, parse)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("requests = %d, want 2", len(got))
	}
	if g := got[1].Get("If-None-Match"); g != etag {
		t.Errorf("second request If-None-Match = %q, want %q", g, etag)
	}
	if g := got[1].Get("If-Modified-Since"); g != lastMod {
		t.Errorf("second request If-Modified-Since = %q, want %q", g, lastMod)
	}
	if parses != 1 {
		t.Errorf("parses = %d, want 1 (a 304 is not parsed)", parses)
	}
	if len(first.Articles) != 1 {
		t.Fatalf("first collection = %d articles, want 1", len(first.Articles))
	}
	if !second.Unchanged || second.Articles != nil {
		t.Errorf("304 collection = %+v, want Unchanged and no articles", second)
	}
	if diff := cmp.Diff(first.State, second.State); diff != "" {
		t.Errorf("304 changed the state (-want +got):\n%s", diff)
	}
	// A state without validators asks unconditionally, whatever came before.
	if _, err := f.Poll(context.Background(), src.cfg.URL, sources.State{}, src.Now, src.log, parse); err != nil || parses != 2 {
		t.Errorf("Poll with the zero state: %v, parses = %d; want a full fetch", err, parses)
	}
	if g := got[2].Get("If-None-Match"); g != "" {
		t.Errorf("request with the zero state If-None-Match = %q, want none", g)
	}
}

func TestFeedMalformedKeepsLastGood(t *testing.T) {
	srv := sourcetest.NewServer(t, upRSS(upItem("1", "One", "https://example.com/1", "")))
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	src := upFeed(t, f, "mal", srv.URL)
	good, err := sourcetest.For(src).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.Set(200, `<?xml version="1.0"?><rss version="2.0"><channel><item><title>broken`)
	src.Now = func() time.Time { return upNow.Add(time.Hour) }
	got, err := sourcetest.For(src).Collect(context.Background())
	if err == nil {
		t.Fatal("Collect of malformed XML: no error")
	}
	for _, want := range []string{srv.URL, "parsing feed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if diff := cmp.Diff(good, got); diff != "" {
		t.Errorf("articles after a failure are not the last good ones (-want +got):\n%s", diff)
	}
}

func TestFeedBackoff(t *testing.T) {
	srv := sourcetest.NewServer(t, upRSS(upItem("1", "One", "https://example.com/1", "")))
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1, MaxBackoff: 3 * time.Minute})
	src := upFeed(t, f, "b", srv.URL)
	now := upNow
	src.Now = func() time.Time { return now }
	if _, err := sourcetest.For(src).Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Set(http.StatusInternalServerError, "down")

	steps := []struct {
		after       time.Duration // since the previous step
		wantReqs    int32
		wantBackoff bool
	}{
		{0, 2, false},                 // fails: back off 1m
		{30 * time.Second, 2, true},   // within 1m: no request
		{31 * time.Second, 3, false},  // fails again: back off 2m
		{119 * time.Second, 3, true},  // within 2m
		{2 * time.Second, 4, false},   // fails: 4m, capped to MaxBackoff 3m
		{179 * time.Second, 4, true},  // within 3m
		{2 * time.Second, 5, false},   // fails: capped 3m again
		{181 * time.Second, 6, false}, // tries again
	}
	for i, st := range steps {
		now = now.Add(st.after)
		got, err := sourcetest.For(src).Collect(context.Background())
		if err == nil {
			t.Fatalf("step %d: no error", i)
		}
		if errors.Is(err, sources.ErrBackoff) != st.wantBackoff {
			t.Errorf("step %d: error %v, want sources.ErrBackoff %v", i, err, st.wantBackoff)
		}
		if n := srv.Reqs.Load(); n != st.wantReqs {
			t.Errorf("step %d: requests = %d, want %d", i, n, st.wantReqs)
		}
		if diff := cmp.Diff([]string{"One"}, upTitles(got)); diff != "" {
			t.Errorf("step %d: last good articles not returned (-want +got):\n%s", i, diff)
		}
	}
	srv.Set(200, upRSS(upItem("2", "Two", "https://example.com/2", "")))
	now = now.Add(time.Hour)
	got, err := sourcetest.For(src).Collect(context.Background())
	if err != nil {
		t.Fatalf("recovered collection: %v", err)
	}
	if diff := cmp.Diff([]string{"Two"}, upTitles(got)); diff != "" {
		t.Errorf("recovered collection (-want +got):\n%s", diff)
	}
	if _, err := sourcetest.For(src).Collect(context.Background()); err != nil {
		t.Errorf("collection right after recovering: %v, want no backoff", err)
	}
}

func TestFeedsFailAlone(t *testing.T) {
	good1 := sourcetest.NewServer(t, upRSS(upItem("a", "A", "https://a.example/1", "")))
	good2 := sourcetest.NewServer(t, upRSS(upItem("b", "B", "https://b.example/1", "")))
	bad := sourcetest.NewServer(t, "gone")
	bad.Set(http.StatusNotFound, "gone")
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	srcs := []*Feed{upFeed(t, f, "good1", good1.URL), upFeed(t, f, "bad", bad.URL), upFeed(t, f, "good2", good2.URL)}

	type result struct {
		titles []string
		err    error
	}
	results := make([]result, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Go(func() {
			as, err := sourcetest.For(s).Collect(context.Background())
			results[i] = result{upTitles(as), err}
		})
	}
	wg.Wait()
	if diff := cmp.Diff([]string{"A"}, results[0].titles); diff != "" || results[0].err != nil {
		t.Errorf("good1: %v (-want +got):\n%s", results[0].err, diff)
	}
	if diff := cmp.Diff([]string{"B"}, results[2].titles); diff != "" || results[2].err != nil {
		t.Errorf("good2: %v (-want +got):\n%s", results[2].err, diff)
	}
	var se *sources.StatusError
	// The caller names the source; the error names the URL, once.
	if err := results[1].err; !errors.As(err, &se) || se.Status != 404 || strings.Count(err.Error(), bad.URL) != 1 {
		t.Errorf("bad source error = %v, want a 404 naming the URL once", err)
	}
	if results[1].titles != nil {
		t.Errorf("bad source with no earlier collection returned %v, want nothing", results[1].titles)
	}
}

func TestFeedDuplicatesAcrossSources(t *testing.T) {
	// The same story in two upstreams: each source keeps its copy, tagged
	// with its own name. Dropping the duplicate is feed.Normalize's job
	// (by ID and canonical link, across sources), tested in package feed.
	body := upRSS(upItem("", "Same", "https://news.example/story?utm_source=x", ""))
	s1, s2 := sourcetest.NewServer(t, body), sourcetest.NewServer(t, body)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	var got [][]string
	for _, src := range []*Feed{upFeed(t, f, "one", s1.URL), upFeed(t, f, "two", s2.URL)} {
		as, err := sourcetest.For(src).Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			got = append(got, []string{a.Source, a.ID})
		}
	}
	want := [][]string{{"one", "https://news.example/story"}, {"two", "https://news.example/story"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFeedItems(t *testing.T) {
	srv := sourcetest.NewServer(t, "")
	srv.Set(200, upRSS(
		upItem("tag:example.com,2026:1", "Kept guid", "https://example.com/1", "Sun, 01 Mar 2026 09:00:00 GMT"),
		upItem("", "Relative root", "/posts/2?utm_medium=rss#top", "Sun, 01 Mar 2026 08:00:00 EST"),
		upItem("", "Relative path", "posts/3", "2026-02-28 10:00:00"),
		upItem("", "No link no guid", "", ""),
		upItem("/p/5", "Relative guid", "https://example.com/5", "Fri, 01 Jan 2027 00:00:00 GMT"),
	))
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	src, err := New(Config{Name: "items", URL: srv.URL + "/blog/feed.xml", Timezone: time.FixedZone("X", 2*3600)}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := upNow
	src.Now = func() time.Time { return now }
	got, err := sourcetest.For(src).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/blog/feed.xml"
	type row struct {
		ID, URL, Base string
		Published     time.Time
	}
	var rows []row
	for _, a := range got {
		rows = append(rows, row{a.ID, a.URL, a.Base, a.Published.UTC()})
	}
	want := []row{
		{"tag:example.com,2026:1", "https://example.com/1", base, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
		{srv.URL + "/posts/2#top", srv.URL + "/posts/2?utm_medium=rss#top", base, time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)},
		// No zone: read in the source's Timezone (UTC+2).
		{srv.URL + "/blog/posts/3", srv.URL + "/blog/posts/3", base, time.Date(2026, 2, 28, 8, 0, 0, 0, time.UTC)},
		// Undated: first seen.
		{hashID("No link no guid", "Body of No link no guid"), "", base, upNow},
		// Ten months ahead: kept as written here; feed.Normalize, the one
		// date clamp, brings it back to the collection time.
		{srv.URL + "/p/5", "https://example.com/5", base, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// An undated item keeps the date it was first seen.
	now = upNow.Add(6 * time.Hour)
	srv.Set(200, upRSS(upItem("", "No link no guid", "", ""), upItem("", "New", "https://example.com/new", "")))
	got, err = sourcetest.For(src).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dates := map[string]time.Time{}
	for _, a := range got {
		dates[a.Title] = a.Published
	}
	if diff := cmp.Diff(map[string]time.Time{"No link no guid": upNow, "New": now}, dates); diff != "" {
		t.Errorf("first-seen dates (-want +got):\n%s", diff)
	}
}

func TestFeedFullText(t *testing.T) {
	article := `<!DOCTYPE html><html><head><title>Post</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Post</h1>` + strings.Repeat(`<p>The full story is long enough to be the main content of the page, with several sentences, commas, and words.</p>`, 6) +
		`<p><img src="/img/a.png"> Last paragraph.</p></article>
<footer>Copyright</footer></body></html>`
	var pageReqs atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		pageReqs.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, article)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, upRSS(upItem("1", "Post", srv.URL+"/post", ""), upItem("2", "Gone", srv.URL+"/missing", "")))
	})
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1})
	src, err := New(Config{Name: "full", URL: srv.URL + "/feed", FullText: true}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		got, err := sourcetest.For(src).Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("run %d: %d articles, want 2", run, len(got))
		}
		if c := got[0].Content; !strings.Contains(c, "The full story") || strings.Contains(c, "Copyright") {
			t.Errorf("run %d: full text = %.200q, want the article without the footer", run, c)
		}
		if got[0].Summary != "Body of Post" {
			t.Errorf("run %d: summary = %q, want the upstream description", run, got[0].Summary)
		}
		if got[1].Content != "Body of Gone" {
			t.Errorf("run %d: failed extraction content = %q, want the upstream description", run, got[1].Content)
		}
	}
	if n := pageReqs.Load(); n != 1 {
		t.Errorf("article page fetched %d times over 2 runs, want 1 (cached)", n)
	}
}

func TestNewFeedValidates(t *testing.T) {
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no name", Config{URL: "https://example.com/feed"}},
		{"relative url", Config{Name: "x", URL: "/feed"}},
		{"ftp url", Config{Name: "x", URL: "ftp://example.com/feed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, f, nil); err == nil {
				t.Error("New: no error")
			}
		})
	}
}

func TestTitleText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Plain title", "Plain title"},
		{"Dark mode <em>everywhere</em>", "Dark mode everywhere"},
		{"<b>Bold</b> &amp; <i>it</i>", "Bold & it"},
		{"a < b and c > d", "a < b and c > d"},
		{"I <3 Go", "I <3 Go"},
		{"Templates like <T> in Go", "Templates like <T> in Go"},
		{"  spaced  ", "spaced"},
		// feed.HTMLText's rules: inline markup does not split a word, a
		// block does; script text is not text.
		{"Java<b>Script</b> tips", "JavaScript tips"},
		{"One<br>Two<p>Three</p>", "One Two Three"},
		{"Hi <script>x()</script>there", "Hi there"},
	}
	for _, tt := range tests {
		if got := titleText(tt.in); got != tt.want {
			t.Errorf("titleText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFeedTwoSourcesOneURL: two sources reading the same upstream through
// one Fetcher each keep their own validators, so when the upstream's
// content and ETag change, both see the change. (With validators kept
// per URL inside the Fetcher, the first source to fetch took the new ETag
// and the second got a 304 and kept the old story.)
func TestFeedTwoSourcesOneURL(t *testing.T) {
	srv := sourcetest.NewServer(t, upRSS(upItem("1", "Story v1", "https://example.com/1", "")))
	srv.SetETag(`"v1"`)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	a := sourcetest.For(upFeed(t, f, "a", srv.URL))
	b, err := New(Config{Name: "b", URL: srv.URL, FullText: false, Timezone: time.FixedZone("X", 3600)}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	bk := sourcetest.For(b)
	titles := func(k *sourcetest.Keeper) []string {
		t.Helper()
		got, err := k.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return upTitles(got)
	}
	for _, k := range []*sourcetest.Keeper{a, bk} {
		if diff := cmp.Diff([]string{"Story v1"}, titles(k)); diff != "" {
			t.Errorf("%s before the change (-want +got):\n%s", k.Src.Name(), diff)
		}
	}
	// Unchanged upstream: both ask conditionally and get a 304.
	for _, k := range []*sourcetest.Keeper{a, bk} {
		titles(k)
		if !k.Last().Unchanged {
			t.Errorf("%s: unchanged upstream not answered 304: %+v", k.Src.Name(), k.Last())
		}
	}

	srv.Set(200, upRSS(upItem("1", "Story v2", "https://example.com/1", "")))
	srv.SetETag(`"v2"`)
	for _, k := range []*sourcetest.Keeper{a, bk} {
		if diff := cmp.Diff([]string{"Story v2"}, titles(k)); diff != "" {
			t.Errorf("%s after the change (-want +got):\n%s", k.Src.Name(), diff)
		}
		if got := k.State().Validators.ETag; got != `"v2"` {
			t.Errorf("%s keeps ETag %s, want \"v2\"", k.Src.Name(), got)
		}
	}
	if n := srv.Reqs.Load(); n != 6 {
		t.Errorf("upstream requests = %d, want 6 (3 per source)", n)
	}
}
