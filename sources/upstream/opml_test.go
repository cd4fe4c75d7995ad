package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

func TestParseOPML(t *testing.T) {
	tests := []struct {
		name, doc, base string
		want            []string
		err             string
	}{
		{
			name: "nested, relative, repeated, not http",
			doc: `<?xml version="1.0"?><opml version="2.0"><head><title>P</title></head><body>
<outline text="Tech"><outline type="rss" text="A" xmlUrl="https://a.example/feed.xml"/>
<outline text="B" xmlURL="/b.atom"/></outline>
<outline text="A again" xmlUrl=" https://a.example/feed.xml "/>
<outline text="ftp" xmlUrl="ftp://c.example/feed"/><outline text="no url"/>
</body></opml>`,
			base: "https://planet.example/list.opml",
			want: []string{"https://a.example/feed.xml", "https://planet.example/b.atom"},
		},
		{name: "relative without a base is dropped", doc: `<opml><body><outline xmlUrl="/x.rss"/></body></opml>`, want: nil},
		{name: "not OPML", doc: `<rss version="2.0"><channel/></rss>`, err: "not <opml>"},
		{name: "empty", doc: ``, err: "no <opml>"},
		{name: "broken", doc: `<opml><body><outline xmlUrl="https://a.example/1"/><outline xmlUrl=`, err: "parsing OPML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOPML([]byte(tt.doc), tt.base)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseOPML(f *testing.F) {
	f.Add([]byte(`<opml><body><outline xmlUrl="https://a.example/f"/></body></opml>`), "https://b.example/")
	f.Add([]byte(`<opml><body><outline><outline xmlUrl="/x"/></outline></body></opml>`), "")
	f.Fuzz(func(t *testing.T, doc []byte, base string) {
		urls, err := parseOPML(doc, base)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, u := range urls {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") || seen[u] {
				t.Fatalf("parseOPML returned %q in %q", u, urls)
			}
			seen[u] = true
		}
	})
}

// TestOPMLSource: a local OPML file listing two feeds collects both; each
// feed keeps its own state, so one answering 304 and one failing keep
// their items, the failure named and alone.
func TestOPMLSource(t *testing.T) {
	a := sourcetest.NewServer(t, upRSS(upItem("a1", "From A", "https://a.example/1", "")))
	a.SetETag(`"a1"`)
	b := sourcetest.NewServer(t, upRSS(upItem("b1", "From B", "https://b.example/1", "")))
	list := filepath.Join(t.TempDir(), "planet.opml")
	if err := os.WriteFile(list, []byte(`<opml version="2.0"><body>
<outline text="A" xmlUrl="`+a.URL+`/feed"/><outline text="B" xmlUrl="`+b.URL+`/feed"/></body></opml>`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The listed feeds are on loopback, which content may reach only when
	// allowed.
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1, AllowHosts: []string{"127.0.0.1"}})
	src, err := NewOPML(OPMLConfig{Name: "planet", Path: list}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := sourcetest.For(src)
	got, err := k.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	titles := upTitles(got)
	slices.Sort(titles)
	if diff := cmp.Diff([]string{"From A", "From B"}, titles); diff != "" {
		t.Errorf("first collection (-want +got):\n%s", diff)
	}

	b.Set(http.StatusInternalServerError, "down")
	got, err = k.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), b.URL) || strings.Contains(err.Error(), a.URL) {
		t.Errorf("error %v, want one naming B's URL only", err)
	}
	titles = upTitles(got)
	slices.Sort(titles)
	if diff := cmp.Diff([]string{"From A", "From B"}, titles); diff != "" {
		t.Errorf("A unchanged (304), B failing: both keep their items (-want +got):\n%s", diff)
	}
	if n := a.Reqs.Load(); n != 2 {
		t.Errorf("A asked %d times, want 2", n)
	}
}

// TestOPMLSourceRefusesPrivate: URLs in a list are content; without
// allow_hosts a loopback feed is refused, and the source fails.
func TestOPMLSourceRefusesPrivate(t *testing.T) {
	a := sourcetest.NewServer(t, upRSS(upItem("a1", "From A", "https://a.example/1", "")))
	list := filepath.Join(t.TempDir(), "planet.opml")
	os.WriteFile(list, []byte(`<opml><body><outline xmlUrl="`+a.URL+`/feed"/></body></opml>`), 0o644)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1})
	src, err := NewOPML(OPMLConfig{Name: "planet", Path: list}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sourcetest.For(src).Collect(context.Background())
	if err == nil || len(got) != 0 || a.Reqs.Load() != 0 {
		t.Errorf("collected %d articles, err %v, %d requests; want the loopback feed refused", len(got), err, a.Reqs.Load())
	}
}

// TestOPMLSourceURL: a list fetched from a configured URL; the feeds it
// lists on that same host are reached (the operator named the host), and
// relative xmlUrl values resolve against the list's URL.
func TestOPMLSourceURL(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/list.opml", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<opml version="2.0"><body><outline text="Here" xmlUrl="/feeds/here.xml"/></body></opml>`))
	})
	mux.HandleFunc("/feeds/here.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(upRSS(upItem("h1", "Listed here", "https://h.example/1", ""))))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1})
	src, err := NewOPML(OPMLConfig{Name: "planet", URL: srv.URL + "/list.opml"}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sourcetest.For(src).Collect(context.Background())
	if err != nil || !slices.Equal(upTitles(got), []string{"Listed here"}) {
		t.Errorf("got %v, %v", upTitles(got), err)
	}
}

// TestOPMLSourceBackoff: a refused feed backs off with its error kept in
// its state; while every listed feed backs off the collection is a skip
// (ErrBackoff), not a success with nothing; allowing the host (a new
// fetch configuration, as a reload makes) fetches it at once.
func TestOPMLSourceBackoff(t *testing.T) {
	a := sourcetest.NewServer(t, upRSS(upItem("a1", "From A", "https://a.example/1", "")))
	list := filepath.Join(t.TempDir(), "planet.opml")
	if err := os.WriteFile(list, []byte(`<opml><body><outline xmlUrl="`+a.URL+`/feed"/></body></opml>`), 0o644); err != nil {
		t.Fatal(err)
	}
	refusing, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1})
	src, err := NewOPML(OPMLConfig{Name: "planet", Path: list}, refusing, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := sourcetest.For(src)
	if _, err := k.Collect(context.Background()); err == nil || errors.Is(err, sources.ErrBackoff) {
		t.Fatalf("first collection: %v, want the refusal", err)
	}
	sub := k.State().Subs[a.URL+"/feed"].State
	if sub.Failures != 1 || sub.RetryAt.IsZero() || !strings.Contains(sub.Error, "not public") {
		t.Errorf("entry state %+v: want 1 failure, a retry time and the refusal", sub)
	}

	if _, err := k.Collect(context.Background()); !errors.Is(err, sources.ErrBackoff) || !strings.Contains(err.Error(), "all 1 listed feeds") {
		t.Errorf("second collection: %v, want a skip: every listed feed backs off", err)
	}

	allowing, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1, AllowHosts: []string{"127.0.0.1"}})
	src, err = NewOPML(OPMLConfig{Name: "planet", Path: list}, allowing, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Collect(context.Background(), k.State())
	if err != nil || !slices.Equal(upTitles(res.Articles), []string{"From A"}) || a.Reqs.Load() != 1 {
		t.Errorf("after allowing: %v, %v, %d requests; want From A at once", upTitles(res.Articles), err, a.Reqs.Load())
	}
	if sub := res.State.Subs[a.URL+"/feed"].State; sub.Failures != 0 || sub.Error != "" {
		t.Errorf("entry state after success: %+v", sub)
	}
}
