package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateWebSources wires feed and page sources from a config to
// httptest upstreams: both publish, and a third, broken source fails alone
// with exit status 1.
func TestGenerateWebSources(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Up</title><link>http://up/</link><description>d</description>
<item><title>Upstream item</title><link>/posts/1?utm_source=rss</link><guid>up-1</guid><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate><description>&lt;p&gt;Hello &lt;img src="/i.png"&gt;&lt;/p&gt;</description></item>
</channel></rss>`)
	})
	mux.HandleFunc("/news", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><body><article class="post"><h2><a href="/news/a">Scraped story</a></h2><time datetime="2026-03-01T08:00:00Z">1 March</time><p>Text.</p></article></body></html>`)
	})
	up := httptest.NewServer(mux)
	defer up.Close()

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, fmt.Sprintf(`title: Web
base_url: http://news.example/
sources:
  - {name: up, type: feed, url: %[1]s/feed.xml}
  - {name: town, type: page, url: %[1]s/news, item: article.post, title: h2, link: h2 a, date: time, summary: p}
  - {name: gone, type: feed, url: %[1]s/missing.xml}
feeds:
  - {name: world, title: World, sources: [up, town, gone]}
`, up.URL))
	out := filepath.Join(dir, "public")
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one source failed); stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "gone") || !strings.Contains(stderr, "missing.xml") {
		t.Errorf("the error does not name the source and URL:\n%s", stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "world.atom"))
	if err != nil {
		t.Fatal(err)
	}
	atom := string(b)
	for _, want := range []string{
		"Upstream item", "Scraped story",
		`href="` + up.URL + `/posts/1"`, // resolved, tracking parameter dropped
		up.URL + `/i.png`,               // image made absolute
		`href="` + up.URL + `/news/a"`,
	} {
		if !strings.Contains(atom, want) {
			t.Errorf("world.atom lacks %s", want)
		}
	}
}

// TestServeSlowSourceAtStartup: a feed whose only source is still on its
// first collection answers 503 (come back later), while the other feeds are
// already served; once the source finishes, the feed appears.
func TestServeSlowSourceAtStartup(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Up</title><link>http://up/</link><description>d</description><item><title>Late item</title><link>http://up/1</link></item></channel></rss>`)
	}))
	defer up.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	cfg := testSite(t, fmt.Sprintf("  - {name: slow, type: feed, url: %s/feed.xml}\n", up.URL), map[string]string{"a.txt": story})
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"  - {name: late, title: Late, sources: [slow]}\n")
	base, _, _ := startServe(t, cfg)

	waitFor(t, "the files feed", func() bool { resp, _ := get(t, base+"/world.rss"); return resp.StatusCode == 200 })
	resp, _ := get(t, base+"/late.json")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("feed of a source still collecting: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := get(t, base+"/nothing.json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown feed: %d, want 404", resp.StatusCode)
	}
	close(release)
	waitFor(t, "the late feed", func() bool {
		resp, body := get(t, base+"/late.json")
		return resp.StatusCode == 200 && strings.Contains(body, "Late item")
	})
}

// TestGenerateOPMLSource: a source of type opml, a local file listing an
// upstream feed (on loopback, so allowed explicitly), publishes its items.
func TestGenerateOPMLSource(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Up</title><item><title>Planet item</title><link>http://up.example/1</link><guid>p1</guid></item></channel></rss>`)
	}))
	defer up.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "planet.opml"), `<opml version="2.0"><body><outline text="Up" xmlUrl="`+up.URL+`/feed.xml"/></body></opml>`)
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, `title: Planet
base_url: http://news.example/
fetch: {allow_hosts: ["127.0.0.1"]}
sources:
  - {name: planet, type: opml, path: ./planet.opml}
feeds:
  - {name: world, title: World, sources: [planet]}
`)
	if code, _, stderr := runCmd(t, "check", "--config", cfg); code != 0 {
		t.Fatalf("check: exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "public")
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "world.atom"))
	if err != nil || !strings.Contains(string(b), "Planet item") {
		t.Errorf("world.atom lacks the listed feed's item: %v", err)
	}
}
