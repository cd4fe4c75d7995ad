package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects a command's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// site writes a config and an articles folder into a temp dir and returns
// the config path.
func testSite(t *testing.T, extra string, articles map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range articles {
		writeFile(t, filepath.Join(dir, "articles", name), body)
	}
	os.MkdirAll(filepath.Join(dir, "articles"), 0o755)
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, `title: Test site
base_url: http://news.example/
admin_token: `+testToken+`
sources:
  - name: articles
    type: files
    path: ./articles
`+extra+`
feeds:
  - name: world
    title: World
    sources: [articles]
`)
	return cfg
}

// testToken opens the operator endpoints of the sites tests write.
const testToken = "test-admin-token-0123456789"

// operator is the header that carries testToken.
var operator = []string{"Authorization", "Bearer " + testToken}

const story = "A story title\n\nFirst paragraph of the story.\n\nSecond paragraph.\n\nAbout The Author\n\nSomeone.\n\nLeave a Reply\n"

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestGenerate(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"story.txt": story, "sub/note.md": "---\ntitle: A note\ndate: 2026-01-02\n---\nBody.\n"})
	out := filepath.Join(t.TempDir(), "public")
	code, stdout, stderr := runCmd(t, "generate", "--config", cfg, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, name := range []string{"world.rss", "world.atom", "world.json", "index.html"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	pages, _ := filepath.Glob(filepath.Join(out, "articles", "*.html"))
	if len(pages) != 2 {
		t.Errorf("got %d article pages, want 2", len(pages))
	}
	rss, _ := os.ReadFile(filepath.Join(out, "world.rss"))
	if bytes.Contains(rss, []byte("About The Author")) || bytes.Contains(rss, []byte("Leave a Reply")) {
		t.Error("scraped trailers reached the feed")
	}

	// 3 feeds, index.html, the feed's page, 2 article pages, feeds.opml,
	// feed.css, favicon.ico.
	if want := out + ": 10 written, 0 unchanged, 0 removed\n"; stdout != want {
		t.Errorf("first run reports %q, want %q", stdout, want)
	}

	// A second run gives byte-identical output, and says so.
	before := readTree(t, out)
	code, stdout, stderr = runCmd(t, "generate", "--config", cfg, "--out", out)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if after := readTree(t, out); !equalTrees(before, after) {
		t.Error("a second run changed the output")
	}
	if want := out + ": 0 written, 10 unchanged, 0 removed\n"; stdout != want {
		t.Errorf("second run reports %q, want %q", stdout, want)
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		}
		return nil
	})
	return m
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestExitCodes(t *testing.T) {
	good := testSite(t, "", map[string]string{"a.txt": story})
	broken := testSite(t, "  - name: gone\n    type: files\n    path: ./does-not-exist\n", map[string]string{"a.txt": story})
	// Make the broken source part of the feed.
	b, _ := os.ReadFile(broken)
	os.WriteFile(broken, bytes.Replace(b, []byte("sources: [articles]"), []byte("sources: [articles, gone]"), 1), 0o644)
	badCfg := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, badCfg, "title: x\nbase_url: http://e.org/\nsources:\n  - name: a\n    type: files\n    path: .\n    colour: red\nfeeds: []\n")

	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string // a substring
		checkFn func(t *testing.T, out string)
	}{
		{name: "ok", args: []string{"generate", "--config", good}, code: 0},
		{name: "failing source publishes the rest", args: []string{"generate", "--config", broken}, code: 1, stderr: "gone",
			checkFn: func(t *testing.T, out string) {
				b, err := os.ReadFile(filepath.Join(out, "world.rss"))
				if err != nil || !bytes.Contains(b, []byte("A story title")) {
					t.Errorf("the good source was not published: %v", err)
				}
			}},
		{name: "unknown key", args: []string{"generate", "--config", badCfg}, code: 2, stderr: "bad.yaml:7:5: sources[0].colour: unknown key"},
		{name: "check unknown key", args: []string{"check", "--config", badCfg}, code: 2, stderr: "bad.yaml:7:5"},
		{name: "check ok", args: []string{"check", "--config", good}, code: 0},
		{name: "missing config", args: []string{"check", "--config", "/nonexistent/herald.yaml"}, code: 2, stderr: "/nonexistent/herald.yaml"},
		{name: "no command", args: nil, code: 2, stderr: "no command"},
		{name: "unknown command", args: []string{"publish"}, code: 2, stderr: `unknown command "publish"`},
		{name: "unknown flag", args: []string{"generate", "--outt", "x"}, code: 2, stderr: "outt"},
		{name: "bad log format", args: []string{"check", "--config", good, "--log-format", "xml"}, code: 2, stderr: "--log-format"},
		{name: "help", args: []string{"--help"}, code: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			out := filepath.Join(t.TempDir(), "public")
			if len(args) > 0 && args[0] == "generate" {
				args = append(args, "--out", out)
			}
			code, _, stderr := runCmd(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
			if tt.checkFn != nil {
				tt.checkFn(t, out)
			}
		})
	}
}

// TestShippedConfig generates from the repository's own config.yaml.
func TestShippedConfig(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCmd(t, "generate", "--config", "../../config.yaml", "--out", out, "--no-store") // no data/ in the repository
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"id":`); n < 3 {
		t.Errorf("world.json has %d items", n)
	}
}

// startServe runs `herald serve` in-process on a free loopback port and
// returns its base URL and a function that stops it and returns its exit
// status.
func startServe(t *testing.T, cfg string, flags ...string) (base string, stop func() int, logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--config", cfg, "--addr", "127.0.0.1:0"}, flags...), io.Discard, logs)
	}()
	addrRE := regexp.MustCompile(`msg=serving addr=(\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if base == "" {
		cancel()
		t.Fatalf("serve did not start:\n%s", logs.String())
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop within 10s")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return base, stop, logs
}

// waitFor polls until cond holds or fails the test after a generous
// deadline (collections run every second in these tests).
// awaitCollections waits until the logs hold n more "collected" lines
// than when it was called: the event after which anything those
// collections would cause (a second ping, a new ETag) has happened, on a
// slow machine as on a fast one, where a fixed sleep could end first.
func awaitCollections(t *testing.T, n int, logs ...func() string) {
	t.Helper()
	count := func() int {
		c := 0
		for _, l := range logs {
			c += strings.Count(l(), "msg=collected ")
		}
		return c
	}
	from := count()
	waitFor(t, fmt.Sprintf("%d more collections", n), func() bool { return count() >= from+n })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(15*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitUntil polls cond every 50 ms until it holds or d passes; it
// reports whether it held. The package's one polling loop.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent gzip
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel() // in-process, with a run (app.Env) of its own
	cfg := testSite(t, "    schedule: \"@every 1s\"\n", map[string]string{"first.txt": "First story\n\nHello.\n"})
	dir := filepath.Dir(cfg)
	base, stop, logs := startServe(t, cfg)

	var etag string
	waitFor(t, "the first collection", func() bool {
		resp, body := get(t, base+"/world.rss")
		etag = resp.Header.Get("ETag")
		return resp.StatusCode == 200 && strings.Contains(body, "First story")
	})
	resp, _ := get(t, base+"/world.rss")
	if ct := resp.Header.Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=1" {
		t.Errorf("Cache-Control = %q, want max-age from the 1s schedule", cc)
	}
	if resp, _ := get(t, base+"/world.rss", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	// Collections keep running; with nothing changed, the ETag stays.
	awaitCollections(t, 2, logs.String)
	if resp, _ := get(t, base+"/world.rss"); resp.Header.Get("ETag") != etag {
		t.Error("ETag changed though no article did")
	}

	// A new article appears after the next scheduled collection.
	writeFile(t, filepath.Join(dir, "articles", "second.md"), "---\ntitle: Second story\ndate: 2030-01-01T00:00:00Z\n---\nNew.\n")
	waitFor(t, "the new article", func() bool {
		_, body := get(t, base+"/world.atom")
		return strings.Contains(body, "Second story")
	})
	resp, _ = get(t, base+"/world.rss")
	if resp.Header.Get("ETag") == etag {
		t.Error("ETag did not change with the content")
	}
	etag = resp.Header.Get("ETag")

	// An edit shows too.
	writeFile(t, filepath.Join(dir, "articles", "first.txt"), "First story, revised\n\nHello again.\n")
	waitFor(t, "the edit", func() bool {
		_, body := get(t, base+"/world.json")
		return strings.Contains(body, "First story, revised")
	})
	if resp, _ := get(t, base+"/world.rss", "If-None-Match", etag); resp.StatusCode != http.StatusOK {
		t.Errorf("old ETag after an edit: status %d, want 200", resp.StatusCode)
	}

	// The index page, gzip, health.
	if resp, body := get(t, base+"/"); resp.StatusCode != 200 || !strings.Contains(body, `href="world.rss"`) {
		t.Errorf("index: %d", resp.StatusCode)
	}
	if resp, _ := get(t, base+"/world.rss", "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" {
		t.Error("no gzip")
	}
	if resp, body := get(t, base+"/healthz", operator...); resp.StatusCode != 200 || !strings.Contains(body, `"name":"articles"`) {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
}

// TestServeFastPathSwitch: the fast path is on by default and off with
// fast_path: false or --no-fast-path; either way the feeds are served.
func TestServeFastPathSwitch(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		flags     []string
		want      string
	}{
		{"default", "", nil, "fast_path=true"},
		{"config key", "fast_path: false\n", nil, "fast_path=false"},
		{"flag", "", []string{"--no-fast-path"}, "fast_path=false"},
		{"flag over key", "fast_path: true\n", []string{"--no-fast-path"}, "fast_path=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testSite(t, "", map[string]string{"a.txt": "A story\n\nBody.\n"})
			if tc.key != "" {
				b, err := os.ReadFile(cfg)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, cfg, tc.key+string(b))
			}
			base, stop, logs := startServe(t, cfg, tc.flags...)
			waitFor(t, "the first collection", func() bool {
				resp, body := get(t, base+"/world.rss")
				return resp.StatusCode == 200 && strings.Contains(body, "A story")
			})
			if !strings.Contains(logs.String(), tc.want) {
				t.Errorf("log does not say %s:\n%s", tc.want, logs.String())
			}
			if code := stop(); code != 0 {
				t.Errorf("serve exited %d", code)
			}
		})
	}
}

func TestServeKeepsLastGoodAndReports(t *testing.T) {
	cfg := testSite(t, "    schedule: \"@every 1s\"\n", map[string]string{"a.txt": "Kept story\n\nBody.\n"})
	dir := filepath.Dir(cfg)
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the first collection", func() bool {
		_, body := get(t, base+"/world.rss")
		return strings.Contains(body, "Kept story")
	})
	// The folder disappears: the source fails, the feed keeps its items.
	if err := os.Rename(filepath.Join(dir, "articles"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failure in /healthz", func() bool {
		_, body := get(t, base+"/healthz", operator...)
		return strings.Contains(body, `"last_error"`)
	})
	if _, body := get(t, base+"/world.rss"); !strings.Contains(body, "Kept story") {
		t.Error("the failing source's last good items are gone")
	}
	_, metrics := get(t, base+"/metrics", operator...)
	if !regexp.MustCompile(`herald_collections_total\{result="failure",source="articles"\} [1-9]`).MatchString(metrics) {
		t.Error("the failure is not counted in /metrics")
	}
	if strings.Contains(metrics, "herald_source_errors_total") {
		t.Error("herald_source_errors_total is back; collections_total{result=\"failure\"} counts failures")
	}
	// Each failure is one ERROR line naming the source once.
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, "level=ERROR") {
			continue
		}
		if n := strings.Count(line, "articles"); !strings.Contains(line, `msg="collection failed"`) || n != 2 {
			// "articles" twice: source=articles and the folder's path.
			t.Errorf("error line %q: want one collection failure naming the source once", line)
		}
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	base, stop, _ := startServe(t, cfg)
	waitFor(t, "the feed", func() bool { resp, _ := get(t, base+"/world.rss"); return resp.StatusCode == 200 })
	start := time.Now()
	if code := stop(); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if _, err := http.Get(base + "/world.rss"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func writeFile(tb testing.TB, path, body string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		tb.Fatal(err)
	}
}
