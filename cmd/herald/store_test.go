package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// upstreamFake is an RSS upstream whose items and ETag the test sets, and
// which records the If-None-Match of each request. Once held, it answers
// nothing until the test ends, so no collection can finish.
type upstreamFake struct {
	mu      sync.Mutex
	etag    string
	items   []string
	inm     []string
	held    bool
	release chan struct{}
}

func newUpstreamFake(t *testing.T, etag string, items ...string) (*upstreamFake, string) {
	u := &upstreamFake{etag: etag, items: items, release: make(chan struct{})}
	srv := httptest.NewServer(u)
	t.Cleanup(func() { close(u.release); srv.Close() })
	return u, srv.URL
}

func (u *upstreamFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.inm = append(u.inm, r.Header.Get("If-None-Match"))
	held, etag, items := u.held, u.etag, u.items
	u.mu.Unlock()
	if held {
		<-u.release
		return
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<rss version="2.0"><channel><title>Up</title><link>http://up/</link><description>d</description>`)
	for i, title := range items {
		fmt.Fprintf(w, `<item><guid>%s</guid><title>%s</title><link>http://up/%s</link><pubDate>Mon, 0%d Feb 2026 10:00:00 GMT</pubDate></item>`, title, title, title, i+2)
	}
	fmt.Fprint(w, `</channel></rss>`)
}

func (u *upstreamFake) set(etag string, items ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.etag, u.items = etag, items
}

func (u *upstreamFake) hold() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.held = true
	u.inm = nil
}

// unhold lets requests through again; those held stay held.
func (u *upstreamFake) unhold() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.held = false
}

func (u *upstreamFake) requests() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.inm...)
}

// TestStoreAcrossRestart: an item the upstream drops stays in the feed;
// after a restart serve answers at once, before any collection finished,
// with the same bytes, ETag and Last-Modified, and its first request to
// the upstream carries the stored validator.
func TestStoreAcrossRestart(t *testing.T) {
	t.Parallel() // in-process, with a run (app.Env) of its own
	up, upURL := newUpstreamFake(t, `"v1"`, "Alpha", "Beta")
	cfg := testSite(t, fmt.Sprintf("  - {name: up, type: feed, url: %s/feed.xml, schedule: \"@every 1s\"}\n", upURL),
		map[string]string{"local.txt": "Local story\n\nHello.\n"})
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"  - {name: upf, title: Up, sources: [up]}\n")

	base, stop, _ := startServe(t, cfg)
	waitFor(t, "both upstream items", func() bool {
		_, body := get(t, base+"/upf.rss")
		return strings.Contains(body, "Alpha") && strings.Contains(body, "Beta")
	})
	up.set(`"v2"`, "Alpha") // Beta leaves the upstream
	waitFor(t, "a collection of the new upstream", func() bool {
		r := up.requests()
		return len(r) > 0 && r[len(r)-1] == `"v2"`
	})
	type answer struct{ status, etag, modified, body string }
	fetch := func(path string) answer {
		resp, body := get(t, base+path)
		return answer{resp.Status, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), body}
	}
	paths := []string{"/upf.rss", "/upf.atom", "/upf.json", "/world.rss", "/world.json"}
	before := map[string]answer{}
	for _, p := range paths {
		before[p] = fetch(p)
	}
	if a := before["/upf.rss"]; !strings.Contains(a.body, "Beta") {
		t.Errorf("the item the upstream dropped left the feed:\n%s", a.body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	up.hold() // no collection can finish after the restart
	base, stop, _ = startServe(t, cfg)
	defer stop()
	for _, p := range paths {
		if got := fetch(p); got != before[p] {
			t.Errorf("%s after the restart: %s ETag %s Last-Modified %s, want %s %s %s (bodies equal: %v)", p,
				got.status, got.etag, got.modified, before[p].status, before[p].etag, before[p].modified, got.body == before[p].body)
		}
	}
	waitFor(t, "the first request after the restart", func() bool { return len(up.requests()) > 0 })
	if got := up.requests()[0]; got != `"v2"` {
		t.Errorf("first request after the restart had If-None-Match %q, want the stored \"v2\"", got)
	}
}

// TestLocalDatesDoNotDrift: with generate over the store, a file touched
// without a change changes nothing; an edit moves updated once, never
// published.
func TestLocalDatesDoNotDrift(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"story.txt": "A story\n\nFirst words.\n"})
	path := filepath.Join(filepath.Dir(cfg), "articles", "story.txt")
	day := func(d int) time.Time { return time.Date(2026, 2, d, 9, 0, 0, 0, time.UTC) }
	os.Chtimes(path, day(1), day(1))
	gen := func() string {
		t.Helper()
		out := t.TempDir()
		if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
			t.Fatalf("generate exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "world.atom"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first := gen()
	if !strings.Contains(first, "<published>2026-02-01T09:00:00Z</published>") {
		t.Fatalf("first feed not dated by the file's mtime:\n%s", first)
	}

	os.Chtimes(path, day(5), day(5)) // touched, same bytes
	if got := gen(); got != first {
		t.Errorf("a touched file changed the feed:\n%s\nwant:\n%s", got, first)
	}

	writeFile(t, path, "A story\n\nFirst words, edited.\n")
	os.Chtimes(path, day(7), day(7))
	edited := gen()
	for _, want := range []string{"<published>2026-02-01T09:00:00Z</published>", "<updated>2026-02-07T09:00:00Z</updated>", "edited"} {
		if !strings.Contains(edited, want) {
			t.Errorf("edited feed lacks %s:\n%s", want, edited)
		}
	}
	os.Chtimes(path, day(9), day(9))
	if got := gen(); got != edited {
		t.Errorf("the edit was applied twice:\n%s\nwant:\n%s", got, edited)
	}
}

var prevArchiveRE = map[string]*regexp.Regexp{
	".rss":  regexp.MustCompile(`<atom:link href="([^"]+)" rel="prev-archive"`),
	".atom": regexp.MustCompile(`<link href="([^"]+)" rel="prev-archive"`),
	".json": regexp.MustCompile(`"next_url":"([^"]+)"`),
}

// archiveChain follows prev-archive (next_url for JSON Feed) from the
// head document of feed world in out and returns the item IDs of each
// document, head first, and the documents' paths.
func archiveChain(t *testing.T, out, ext string) (ids [][]string, paths []string) {
	t.Helper()
	path := "world" + ext
	for range 1000 {
		b, err := os.ReadFile(filepath.Join(out, path))
		if err != nil {
			t.Fatalf("following the chain: %v", err)
		}
		fd, err := gofeed.NewParser().ParseString(string(b))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var doc []string
		for _, it := range fd.Items {
			doc = append(doc, it.GUID)
		}
		ids, paths = append(ids, doc), append(paths, path)
		m := prevArchiveRE[ext].FindStringSubmatch(string(b))
		if m == nil {
			return ids, paths
		}
		path = strings.TrimPrefix(m[1], "http://news.example/")
	}
	t.Fatal("the chain does not end")
	return nil, nil
}

// TestArchiveChain: generate runs over a growing folder (and a file
// deleted, and files dated before everything else added late) with limit
// 3. After
// each run, in every format, following prev-archive from the head finds
// every retained item exactly once, the head holds the newest, and a full
// archive document never changes.
func TestArchiveChain(t *testing.T) {
	cfg := testSite(t, "", nil)
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"    limit: 3\n")
	dir := filepath.Join(filepath.Dir(cfg), "articles")
	n := 0
	add := func(k int) {
		for range k {
			n++
			p := filepath.Join(dir, fmt.Sprintf("a%02d.txt", n))
			writeFile(t, p, fmt.Sprintf("Story %d\n\nBody %d.\n", n, n))
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
			os.Chtimes(p, at, at)
		}
	}
	addOld := func(k int) { // dated before every other article
		for i := range k {
			n++
			p := filepath.Join(dir, fmt.Sprintf("old%02d.txt", n))
			writeFile(t, p, fmt.Sprintf("Old story %d\n\nBody %d.\n", n, n))
			at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
			os.Chtimes(p, at, at)
		}
	}
	full := map[string][]byte{} // full archive documents as first seen
	out := filepath.Join(t.TempDir(), "public")
	for round, step := range []func(){
		func() { add(5) },
		func() { add(4) },
		func() { os.Remove(filepath.Join(dir, "a01.txt")); add(1) }, // a01 stays: history
		func() { add(7) },
		func() { addOld(2) }, // outside the window as soon as they arrive
		func() { add(4) },
		func() {}, // nothing new: nothing moves
	} {
		step()
		if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
			t.Fatalf("round %d: generate exit %d: %s", round, code, stderr)
		}
		for _, ext := range []string{".rss", ".atom", ".json"} {
			docs, paths := archiveChain(t, out, ext)
			seen := map[string]int{}
			total := 0
			for _, d := range docs {
				for _, id := range d {
					seen[id]++
					total++
				}
			}
			if len(seen) != n || total != n {
				t.Errorf("round %d %s: %d items in the chain (%d distinct), want each of %d once: %v", round, ext, total, len(seen), n, docs)
			}
			if len(docs[0]) != 3 {
				t.Errorf("round %d %s: head has %d items, want 3", round, ext, len(docs[0]))
			}
			for i, p := range paths[1:] {
				body, _ := os.ReadFile(filepath.Join(out, p))
				if len(docs[i+1]) != 3 {
					continue // the open page
				}
				if was, ok := full[p]; ok && string(was) != string(body) {
					t.Errorf("round %d: full archive document %s changed", round, p)
				}
				full[p] = body
			}
		}
	}
	if len(full) < 3*3 {
		t.Errorf("only %d full archive documents after %d items, want at least 9 (3 pages x 3 formats)", len(full), n)
	}
}
