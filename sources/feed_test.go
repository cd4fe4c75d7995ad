package sources

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

// upServer serves whatever body currently holds, counting requests.
type upServer struct {
	*httptest.Server
	reqs atomic.Int32
	mu   sync.Mutex
	body string
	code int
}

func newUpServer(t testing.TB, body string) *upServer {
	t.Helper()
	s := &upServer{body: body, code: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reqs.Add(1)
		s.mu.Lock()
		body, code := s.body, s.code
		s.mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *upServer) set(code int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.body = code, body
}

func upFeed(t testing.TB, f *Fetcher, name, url string) *Feed {
	t.Helper()
	src, err := NewFeed(FeedConfig{Name: name, URL: url}, f, nil)
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
	f, _ := upFetcher(t, FetchConfig{})
	src := upFeed(t, f, "n", srv.URL)
	parses := 0
	collect := func() ([]feed.Article, error) {
		parse := func(ctx context.Context, r *Response) ([]feed.Article, error) {
			parses++
			return src.parse(ctx, r)
		}
		return collectWeb(context.Background(), &src.state, f, src.Name(), src.cfg.URL, src.Now, src.log, parse)
	}

	first, err := collect()
	if err != nil {
		t.Fatal(err)
	}
	second, err := collect()
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
	if len(first) != 1 {
		t.Fatalf("first collection = %d articles, want 1", len(first))
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("304 collection differs from the first (-want +got):\n%s", diff)
	}
	// And through the public method.
	third, err := src.Collect(context.Background())
	if err != nil || len(third) != 1 {
		t.Errorf("Collect after 304 = %d articles, %v; want 1, nil", len(third), err)
	}
}

func TestFeedMalformedKeepsLastGood(t *testing.T) {
	srv := newUpServer(t, upRSS(upItem("1", "One", "https://example.com/1", "")))
	f, _ := upFetcher(t, FetchConfig{})
	src := upFeed(t, f, "mal", srv.URL)
	good, err := src.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.set(200, `<?xml version="1.0"?><rss version="2.0"><channel><item><title>broken`)
	src.Now = func() time.Time { return upNow.Add(time.Hour) }
	got, err := src.Collect(context.Background())
	if err == nil {
		t.Fatal("Collect of malformed XML: no error")
	}
	for _, want := range []string{"mal", srv.URL, "parsing feed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if diff := cmp.Diff(good, got); diff != "" {
		t.Errorf("articles after a failure are not the last good ones (-want +got):\n%s", diff)
	}
}

func TestFeedBackoff(t *testing.T) {
	srv := newUpServer(t, upRSS(upItem("1", "One", "https://example.com/1", "")))
	f, _ := upFetcher(t, FetchConfig{Retries: -1, MaxBackoff: 3 * time.Minute})
	src := upFeed(t, f, "b", srv.URL)
	now := upNow
	src.Now = func() time.Time { return now }
	if _, err := src.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.set(http.StatusInternalServerError, "down")

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
		got, err := src.Collect(context.Background())
		if err == nil {
			t.Fatalf("step %d: no error", i)
		}
		if errors.Is(err, ErrBackoff) != st.wantBackoff {
			t.Errorf("step %d: error %v, want ErrBackoff %v", i, err, st.wantBackoff)
		}
		if n := srv.reqs.Load(); n != st.wantReqs {
			t.Errorf("step %d: requests = %d, want %d", i, n, st.wantReqs)
		}
		if diff := cmp.Diff([]string{"One"}, upTitles(got)); diff != "" {
			t.Errorf("step %d: last good articles not returned (-want +got):\n%s", i, diff)
		}
	}
	srv.set(200, upRSS(upItem("2", "Two", "https://example.com/2", "")))
	now = now.Add(time.Hour)
	got, err := src.Collect(context.Background())
	if err != nil {
		t.Fatalf("recovered collection: %v", err)
	}
	if diff := cmp.Diff([]string{"Two"}, upTitles(got)); diff != "" {
		t.Errorf("recovered collection (-want +got):\n%s", diff)
	}
	if _, err := src.Collect(context.Background()); err != nil {
		t.Errorf("collection right after recovering: %v, want no backoff", err)
	}
}

func TestFeedsFailAlone(t *testing.T) {
	good1 := newUpServer(t, upRSS(upItem("a", "A", "https://a.example/1", "")))
	good2 := newUpServer(t, upRSS(upItem("b", "B", "https://b.example/1", "")))
	bad := newUpServer(t, "gone")
	bad.set(http.StatusNotFound, "gone")
	f, _ := upFetcher(t, FetchConfig{})
	srcs := []*Feed{upFeed(t, f, "good1", good1.URL), upFeed(t, f, "bad", bad.URL), upFeed(t, f, "good2", good2.URL)}

	type result struct {
		titles []string
		err    error
	}
	results := make([]result, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Go(func() {
			as, err := s.Collect(context.Background())
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
	var se *StatusError
	if err := results[1].err; !errors.As(err, &se) || se.Status != 404 || !strings.Contains(err.Error(), "bad") {
		t.Errorf("bad source error = %v, want a 404 naming the source", err)
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
	s1, s2 := newUpServer(t, body), newUpServer(t, body)
	f, _ := upFetcher(t, FetchConfig{})
	var got [][]string
	for _, src := range []*Feed{upFeed(t, f, "one", s1.URL), upFeed(t, f, "two", s2.URL)} {
		as, err := src.Collect(context.Background())
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
	srv := newUpServer(t, "")
	srv.set(200, upRSS(
		upItem("tag:example.com,2026:1", "Kept guid", "https://example.com/1", "Sun, 01 Mar 2026 09:00:00 GMT"),
		upItem("", "Relative root", "/posts/2?utm_medium=rss#top", "Sun, 01 Mar 2026 08:00:00 EST"),
		upItem("", "Relative path", "posts/3", "2026-02-28 10:00:00"),
		upItem("", "No link no guid", "", ""),
		upItem("/p/5", "Relative guid", "https://example.com/5", "Fri, 01 Jan 2027 00:00:00 GMT"),
	))
	f, _ := upFetcher(t, FetchConfig{})
	src, err := NewFeed(FeedConfig{Name: "items", URL: srv.URL + "/blog/feed.xml", Timezone: time.FixedZone("X", 2*3600)}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := upNow
	src.Now = func() time.Time { return now }
	got, err := src.Collect(context.Background())
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
		// Ten months ahead: clamped to now.
		{srv.URL + "/p/5", "https://example.com/5", base, upNow},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// An undated item keeps the date it was first seen.
	now = upNow.Add(6 * time.Hour)
	srv.set(200, upRSS(upItem("", "No link no guid", "", ""), upItem("", "New", "https://example.com/new", "")))
	got, err = src.Collect(context.Background())
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
	f, _ := upFetcher(t, FetchConfig{Retries: -1})
	src, err := NewFeed(FeedConfig{Name: "full", URL: srv.URL + "/feed", FullText: true}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		got, err := src.Collect(context.Background())
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
	f, _ := upFetcher(t, FetchConfig{})
	tests := []struct {
		name string
		cfg  FeedConfig
	}{
		{"no name", FeedConfig{URL: "https://example.com/feed"}},
		{"relative url", FeedConfig{Name: "x", URL: "/feed"}},
		{"ftp url", FeedConfig{Name: "x", URL: "ftp://example.com/feed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewFeed(tt.cfg, f, nil); err == nil {
				t.Error("NewFeed: no error")
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
	}
	for _, tt := range tests {
		if got := titleText(tt.in); got != tt.want {
			t.Errorf("titleText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
