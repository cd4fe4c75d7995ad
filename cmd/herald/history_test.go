package main

// History end to end: every stored article stays reachable, exactly once,
// through each format's RFC 5005 chain, whatever interrupted the runs that
// published it (kills of serve, serve and generate on one data_dir,
// repeated generates, edits, a changed base_url, retention). The walker
// and the checks are in history_walk_test.go.

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// historyBase is the base_url of the history tests' sites.
const historyBase = "http://news.example/"

// storyTime is the modification time of story i: distinct, stable, 3 hours
// apart from 2015 on (20,000 stories span 6.8 years).
func storyTime(i int) time.Time {
	return time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 3 * time.Hour)
}

func storyName(i int) string { return fmt.Sprintf("story-%05d.txt", i) }

func storyTitle(i int) string { return fmt.Sprintf("Story %05d", i) }

// writeStories writes stories [from, to) into dir with their times.
func writeStories(t testing.TB, dir string, from, to int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		p := filepath.Join(dir, storyName(i))
		body := fmt.Sprintf("%s\n\nThe paragraph of story number %d, which says little.\n", storyTitle(i), i)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, storyTime(i), storyTime(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// addStory puts story i, dated d, into dir whole: written and dated
// beside the folder, then renamed into it, so a running serve never sees
// it without its date.
func addStory(t testing.TB, dir string, i int, d time.Time) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(dir), ".new-"+storyName(i))
	body := fmt.Sprintf("%s\n\nThe paragraph of story number %d, which says little.\n", storyTitle(i), i)
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, d, d); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, storyName(i))); err != nil {
		t.Fatal(err)
	}
}

// upstreamFeed is an RSS upstream of items lo..hi (inclusive), each with a
// distinct date, honouring If-None-Match.
type upstreamFeed struct {
	mu       sync.Mutex
	lo, hi   int
	requests int
	when     map[int]time.Time // dates other than upstreamTime's
	srv      *httptest.Server
}

func newUpstream(t *testing.T, lo, hi int) *upstreamFeed {
	u := &upstreamFeed{lo: lo, hi: hi, when: map[int]time.Time{}}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.requests++
		etag := fmt.Sprintf(`"items-%d-%d"`, u.lo, u.hi)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Upstream</title><link>https://upstream.example/</link>`)
		for i := u.hi; i >= u.lo; i-- {
			fmt.Fprintf(&b, `<item><title>Upstream item %d</title><link>https://upstream.example/items/%d</link><guid>https://upstream.example/items/%d</guid><pubDate>%s</pubDate><description>Text of upstream item %d.</description></item>`,
				i, i, i, u.date(i).Format(time.RFC1123Z), i)
		}
		b.WriteString(`</channel></rss>`)
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// upstreamTime is item i's date: an hour apart, from 2026.
func upstreamTime(i int) time.Time {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
}

// date is item i's date; u.mu is held.
func (u *upstreamFeed) date(i int) time.Time {
	if d, ok := u.when[i]; ok {
		return d
	}
	return upstreamTime(i)
}

// addAt adds an item dated d.
func (u *upstreamFeed) addAt(d time.Time) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hi++
	u.when[u.hi] = d
	return u.hi
}

func (u *upstreamFeed) set(lo, hi int) {
	u.mu.Lock()
	u.lo, u.hi = lo, hi
	u.mu.Unlock()
}

func (u *upstreamFeed) add() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hi++
	return u.hi
}

// historySite writes a config into dir: a files source over dir/articles,
// the upstream when up is set, one feed world merging them with limit.
// extra goes at the top level; srcExtra into each source.
func historySite(t *testing.T, dir string, up *upstreamFeed, limit int, base, srcExtra string) string {
	t.Helper()
	srcs := "  - name: files\n    type: files\n    path: ./articles\n" + srcExtra
	names := "files"
	if up != nil {
		srcs += "  - name: up\n    type: feed\n    url: " + up.srv.URL + "/feed.xml\n" + srcExtra
		names += ", up"
	}
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, `title: History
base_url: `+base+`
data_dir: ./data
admin_token: `+testToken+`
schedule: "@every 1s"
sources:
`+srcs+`feeds:
  - name: world
    title: World
    sources: [`+names+`]
    limit: `+strconv.Itoa(limit)+`
`)
	return cfg
}

// serveProc is herald serve run as a process of its own (this test
// binary), so it can be killed.
type serveProc struct {
	cmd     *exec.Cmd
	logs    *syncBuffer
	done    chan struct{}
	err     error
	started time.Time
}

var servingRE = regexp.MustCompile(`msg=serving addr=(\S+)`)

func startServeProc(t *testing.T, cfg string) *serveProc {
	t.Helper()
	p := &serveProc{logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = herald("serve", "--config", cfg, "--addr", "127.0.0.1:0")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.started = time.Now()
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	return p
}

// base waits for the serving line and returns the address's URL.
func (p *serveProc) base(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(p.logs.String()); m != nil {
			return "http://" + m[1]
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited (%v) before serving:\n%s", p.err, tail(p.logs.String()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start within 60s:\n%s", tail(p.logs.String()))
	return ""
}

// kill signals the process and waits for it to exit.
func (p *serveProc) kill(sig syscall.Signal) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not exit within 30s of %v", sig)
	}
	return p.err
}

// collectedCount counts "collected" lines of source in logs.
func collectedCount(logs, source string) int {
	return strings.Count(logs, "msg=collected source="+source+" ")
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// storeCount is the number of stored articles, -1 when unreadable.
func storeCount(dataDir string) int {
	st, err := readStore(dataDir)
	if err != nil {
		return -1
	}
	return len(st)
}

// checkServedHistory waits (up to d) until serve's chains pass the checks
// against the store, and reports the last problems if they never do.
func checkServedHistory(t *testing.T, base, dataDir string, c chainCheck, d time.Duration) map[string]*chainWalk {
	t.Helper()
	var problems []string
	var walks map[string]*chainWalk
	waitUntil(d, func() bool {
		stored, err := readStore(dataDir)
		if err != nil {
			problems = []string{err.Error()}
			return false
		}
		walks = walkAll(httpFetcher{base}, historyBase, c.Feed)
		problems = chainProblems("serve", c, stored, walks)
		return len(problems) == 0
	})
	for _, p := range problems {
		t.Error(p)
	}
	return walks
}

// TestHistoryCrashMatrix kills serve (SIGKILL or SIGTERM, at random) again
// and again while it collects a large folder and an upstream, the history
// growing between runs; a last serve must then publish every stored
// article exactly once in each format's chain.
func TestHistoryCrashMatrix(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	files, kills := 2000, 10
	if fullSize() {
		files, kills = 20000, 30
	}
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	t0 := time.Now()
	writeStories(t, articles, 0, files)
	t.Logf("%d files written in %v", files, time.Since(t0).Round(time.Millisecond))
	up := newUpstream(t, 1, 30)
	cfg := historySite(t, dir, up, 50, historyBase, "")
	dataDir := filepath.Join(dir, "data")

	// How long a first collection of this folder takes here: half the
	// kills land within that span of the start, where a kill interrupts
	// the big first collection and its publication, the other half
	// anywhere in the first 3 s.
	span := firstCollection(t, dir, cfg)
	t.Logf("a first collection takes %v", span.Round(time.Millisecond))

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)
	next := files
	var sigkills, sigterms, completed int
	for i := range kills {
		p := startServeProc(t, cfg)
		sig := syscall.SIGKILL
		if rng.IntN(2) == 1 {
			sig = syscall.SIGTERM
		}
		window := 3 * time.Second
		if rng.IntN(2) == 0 {
			window = span + span/5
		}
		delay := time.Duration(rng.Int64N(int64(window)))
		// The instant is counted from the first log line, so a slow
		// start (2 cores shared) does not turn every kill into a kill
		// before the store is open.
		waitUntil(30*time.Second, func() bool { return p.logs.String() != "" })
		time.Sleep(delay)
		done := collectedCount(p.logs.String(), "files") > 0
		if done {
			completed++
		}
		t.Logf("round %d: %v %v after the first log line; files collected before: %v", i, sig, delay.Round(time.Millisecond), done)
		err := p.kill(sig)
		if sig == syscall.SIGKILL {
			sigkills++
		} else {
			sigterms++
			// serve exits 0 on SIGTERM (or dies of it, before it
			// handles signals).
			if err != nil && err.Error() != "signal: terminated" {
				t.Errorf("round %d: serve after SIGTERM %v after its first log line: %v\n%s", i, delay, err, tail(p.logs.String()))
			}
		}
		if strings.Contains(p.logs.String(), "panic") {
			t.Errorf("round %d: serve panicked:\n%s", i, tail(p.logs.String()))
		}
		if rng.IntN(3) > 0 {
			n := 1 + rng.IntN(3)
			writeStories(t, articles, next, next+n)
			next += n
			up.add()
		}
		if files := countFiles(t, articles); files != next {
			t.Fatalf("round %d: the folder holds %d files, want %d", i, files, next)
		}
	}
	t.Logf("%d kills (%d SIGKILL, %d SIGTERM), %d after a files collection had finished; %d files, %d upstream items",
		kills, sigkills, sigterms, completed, next, up.hi)

	p := startServeProc(t, cfg)
	base := p.base(t)
	want := next + up.hi
	ok := waitUntil(2*time.Minute, func() bool {
		l := p.logs.String()
		return collectedCount(l, "files") > 0 && collectedCount(l, "up") > 0 && storeCount(dataDir) == want
	})
	if !ok {
		bySource := map[string]int{}
		stored, err := readStore(dataDir)
		for _, a := range stored {
			bySource[a.Source]++
		}
		t.Fatalf("the last serve did not store all %d articles within 2 minutes: the store holds %d of %d files and %d of %d upstream items (%v):\n%s",
			want, bySource["files"], next, bySource["up"], up.hi, err, tail(p.logs.String()))
	}
	walks := checkServedHistory(t, base, dataDir, chainCheck{Feed: "world", Limit: 50}, 15*time.Second)
	t.Logf("chains: %s", chainSummary(walks))
	if strings.Contains(p.logs.String(), "level=ERROR") {
		t.Errorf("the last serve logged errors:\n%s", tail(p.logs.String()))
	}
}

// firstCollection runs serve on a copy of cfg with a data_dir of its own
// until both sources are collected, and returns the time from serve's first
// log line to the files source's first "collected" line.
func firstCollection(t *testing.T, dir, cfg string) time.Duration {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dir, "probe.yaml")
	writeFile(t, probe, strings.Replace(string(b), "data_dir: ./data\n", "data_dir: ./probe-data\n", 1))
	p := startServeProc(t, probe)
	var first time.Time
	if !waitUntil(5*time.Minute, func() bool {
		if first.IsZero() && p.logs.String() != "" {
			first = time.Now()
		}
		return collectedCount(p.logs.String(), "files") > 0
	}) {
		t.Fatalf("the probe serve did not collect within 5 minutes:\n%s", tail(p.logs.String()))
	}
	span := time.Since(first)
	p.kill(syscall.SIGKILL)
	os.RemoveAll(filepath.Join(dir, "probe-data"))
	return span
}

// generateOut runs generate as a process and returns its stdout and
// stderr, failing the test on a non-zero exit.
func generateOut(t *testing.T, cfg, out string) (stdout, stderr string) {
	t.Helper()
	cmd := herald("generate", "--config", cfg, "--out", out)
	var o, e syncBuffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("generate --out %s: %v\nstdout: %s\nstderr: %s", out, err, o.String(), tail(e.String()))
	}
	return o.String(), e.String()
}

var summaryRE = regexp.MustCompile(`(?m)^(.*): (\d+) written, (\d+) unchanged, (\d+) removed$`)

// generateSummary parses generate's "DIR: X written, Y unchanged, Z removed".
func generateSummary(t *testing.T, stdout string) (written, unchanged, removed int) {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no summary line in generate's output %q", stdout)
	}
	written, _ = strconv.Atoi(m[2])
	unchanged, _ = strconv.Atoi(m[3])
	removed, _ = strconv.Atoi(m[4])
	return
}

// checkFolderLinks walks the folder's chains and checks against the
// store, and that every item link under base_url (an article page) is a
// file of the folder.
func checkFolderLinks(t *testing.T, where, out, dataDir string, c chainCheck) map[string]*chainWalk {
	t.Helper()
	stored, err := readStore(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	walks := walkAll(dirFetcher{out}, historyBase, c.Feed)
	for _, p := range chainProblems(where, c, stored, walks) {
		t.Error(p)
	}
	var missing []string
	pages := map[string]bool{}
	for _, ext := range historyFormats {
		for _, it := range walks[ext].Items {
			rel, ok := strings.CutPrefix(it.Link, historyBase)
			if !ok || pages[rel] {
				continue
			}
			pages[rel] = true
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(rel))); err != nil {
				missing = append(missing, fmt.Sprintf("%s (item %s of %s)", rel, it.ID, walks[ext].Rels[it.Doc]))
			}
		}
	}
	if len(pages) == 0 {
		t.Errorf("%s: no item links to an article page under %s", where, historyBase)
	}
	if len(missing) > 0 {
		t.Errorf("%s: %d of the %d article pages items link to are not in the folder, e.g. %s", where, len(missing), len(pages), example(missing))
	}
	return walks
}

// TestHistoryGenerateTwice: two generates on one data_dir give the same
// folder, the second writing nothing; every chain link and article link
// resolves to a file. A generate after a serve filled the data_dir writes
// every archive document and article page.
func TestHistoryGenerateTwice(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	dir := t.TempDir()
	writeStories(t, filepath.Join(dir, "articles"), 0, 700)
	cfg := historySite(t, dir, nil, 20, historyBase, "")
	dataDir := filepath.Join(dir, "data")
	out := filepath.Join(dir, "A")

	stdout, _ := generateOut(t, cfg, out)
	w1, _, _ := generateSummary(t, stdout)
	before := outputTree(t, out)
	stdout, _ = generateOut(t, cfg, out)
	written, unchanged, removed := generateSummary(t, stdout)
	if written != 0 || removed != 0 || unchanged != len(before) {
		t.Errorf("second generate: %q; want 0 written, %d unchanged, 0 removed (the first wrote %d)", strings.TrimSpace(stdout), len(before), w1)
	}
	if d := treeDiff(before, outputTree(t, out)); d != "" {
		t.Errorf("the second generate changed the folder:\n%s", d)
	}
	walks := checkFolderLinks(t, "generate twice", out, dataDir, chainCheck{Feed: "world", Limit: 20})
	if n := len(walks[".atom"].Docs); n < 30 {
		t.Errorf("700 articles with limit 20 walk %d atom documents; want at least 30", n)
	}
	t.Logf("chains: %s", chainSummary(walks))

	t.Run("after serve", func(t *testing.T) {
		dir := t.TempDir()
		writeStories(t, filepath.Join(dir, "articles"), 0, 700)
		cfg := historySite(t, dir, nil, 20, historyBase, "")
		dataDir := filepath.Join(dir, "data")
		p := startServeProc(t, cfg)
		base := p.base(t)
		if !waitUntil(60*time.Second, func() bool {
			return collectedCount(p.logs.String(), "files") > 0 && storeCount(dataDir) == 700
		}) {
			t.Fatalf("serve did not store 700 articles (store: %d):\n%s", storeCount(dataDir), tail(p.logs.String()))
		}
		served := checkServedHistory(t, base, dataDir, chainCheck{Feed: "world", Limit: 20}, 20*time.Second)
		if err := p.kill(syscall.SIGTERM); err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
		out := filepath.Join(dir, "public")
		generateOut(t, cfg, out)
		walks := checkFolderLinks(t, "generate after serve", out, dataDir, chainCheck{Feed: "world", Limit: 20})
		// Every document serve published is a file of generate's folder.
		var missing []string
		for _, ext := range historyFormats {
			for _, rel := range served[ext].Rels {
				if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(rel))); err != nil {
					missing = append(missing, rel)
				}
			}
			if a, b := len(served[ext].Docs), len(walks[ext].Docs); a != b {
				t.Errorf("%s: serve's chain has %d documents, generate's %d", ext[1:], a, b)
			}
		}
		if len(missing) > 0 {
			t.Errorf("generate after serve: %d archive documents serve published are not in the folder, e.g. %s", len(missing), example(missing))
		}
		stored, _ := readStore(dataDir)
		pages, _ := filepath.Glob(filepath.Join(out, "articles", "*.html"))
		if len(pages) != len(stored) {
			t.Errorf("generate after serve wrote %d article pages; the store holds %d local articles", len(pages), len(stored))
		}
	})
}

// TestHistoryServeAndGenerate runs serve and, beside it, generate on one
// data_dir for 20 rounds, the history growing each round.
func TestHistoryServeAndGenerate(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	writeStories(t, articles, 0, 300)
	up := newUpstream(t, 1, 10)
	cfg := historySite(t, dir, up, 20, historyBase, "")
	dataDir := filepath.Join(dir, "data")
	out := filepath.Join(dir, "public")

	p := startServeProc(t, cfg)
	base := p.base(t)
	// The rounds' items must come after serve's first import: one that
	// arrived with it would be numbered with the import and archived by
	// sequence, not found in the head (internal/site/archive.go).
	waitFor(t, "serve's first collections", func() bool {
		l := p.logs.String()
		return collectedCount(l, "files") > 0 && collectedCount(l, "up") > 0
	})
	next := 300
	var genLogs []string
	// Each round's items are newer than everything before, so they
	// belong in the head.
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	rounds := 5
	if fullSize() {
		rounds = 20
	}
	for round := range rounds {
		for k := range 2 {
			addStory(t, articles, next+k, t0.Add(time.Duration(3*round+k)*time.Second))
		}
		next += 2
		item := up.addAt(t0.Add(time.Duration(3*round+2) * time.Second))
		cmd := herald("generate", "--config", cfg, "--out", out)
		b, err := cmd.CombinedOutput()
		genLogs = append(genLogs, string(b))
		if err != nil {
			t.Fatalf("round %d: generate: %v\n%s", round, err, b)
		}
		// What generate stored, serve publishes at its next collection.
		wantTitles := []string{storyTitle(next - 2), storyTitle(next - 1), fmt.Sprintf("Upstream item %d", item)}
		var missing []string
		ok := waitUntil(20*time.Second, func() bool {
			body, _, err := httpFetcher{base}.fetch("world.rss")
			missing = missing[:0]
			for _, w := range wantTitles {
				if err != nil || !strings.Contains(string(body), "<title>"+w+"</title>") {
					missing = append(missing, w)
				}
			}
			return len(missing) == 0
		})
		if !ok {
			t.Errorf("round %d: serve's head lacks %v 20s after generate stored them\n%s", round, missing, p.logs.String())
		}
	}
	want := next + up.hi
	if n := storeCount(dataDir); n != want {
		t.Errorf("the store holds %d articles, want %d", n, want)
	}
	checkServedHistory(t, base, dataDir, chainCheck{Feed: "world", Limit: 20}, 20*time.Second)
	checkFolderLinks(t, "generate beside serve", out, dataDir, chainCheck{Feed: "world", Limit: 20})
	p.kill(syscall.SIGTERM)
	for i, l := range append(genLogs, p.logs.String()) {
		if strings.Contains(l, "database is locked") || strings.Contains(l, "SQLITE_BUSY") {
			who := fmt.Sprintf("generate of round %d", i)
			if i == len(genLogs) {
				who = "serve"
			}
			t.Errorf("%s met a locked database:\n%s", who, tail(l))
		}
	}
}

// TestHistoryEditAndBaseURL: an edit of an archived article shows in the
// head; a changed base_url reaches every document; retention keeps what
// it should.
func TestHistoryEditAndBaseURL(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	writeStories(t, articles, 0, 200)
	const base1, base2 = "http://news.example:8080/", "http://news.example:9090/"
	cfg := historySite(t, dir, nil, 20, base1, "")
	dataDir := filepath.Join(dir, "data")
	out := filepath.Join(dir, "public")
	generateOut(t, cfg, out)

	t.Run("edit", func(t *testing.T) {
		walks := walkAll(dirFetcher{out}, base1, "world")
		w := walks[".atom"]
		if w.Err != nil || len(w.Docs) < 4 {
			t.Fatalf("atom chain: %d documents, %v; want at least 4", len(w.Docs), w.Err)
		}
		// The oldest item of the oldest page: that page is full, since
		// newer archive pages follow it.
		target := w.Items[len(w.Items)-1]
		if w.Counts[len(w.Counts)-1] != 20 {
			t.Fatalf("the oldest archive page %s has %d items, want a full page of 20", w.Rels[len(w.Rels)-1], w.Counts[len(w.Counts)-1])
		}
		n, err := strconv.Atoi(strings.TrimPrefix(target.Title, "Story "))
		if err != nil {
			t.Fatalf("oldest item %q is not a story", target.Title)
		}
		p := filepath.Join(articles, storyName(n))
		const marker = "Rewritten paragraph with news"
		writeFile(t, p, storyTitle(n)+"\n\n"+marker+" about story "+strconv.Itoa(n)+".\n")
		generateOut(t, cfg, out)
		after := walkAll(dirFetcher{out}, base1, "world")
		for _, ext := range historyFormats {
			found := false
			for _, it := range after[ext].Items {
				if it.ID != target.ID || it.Doc != 0 {
					continue
				}
				found = true
				if !strings.Contains(it.Text, marker) {
					t.Errorf("%s head: the edited article %s lacks its new text: %q", ext[1:], it.ID, it.Text)
				}
				if ext != ".rss" && !it.Updated.After(target.Updated) {
					t.Errorf("%s head: the edited article's updated %v is not after the old %v", ext[1:], it.Updated, target.Updated)
				}
			}
			if !found {
				t.Errorf("%s: the head does not carry the edited article %s (%s); it is in %v", ext[1:], target.ID, target.Title, docsOf(after[ext], target.ID))
			}
		}
		stored, err := readStore(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		if a := stored[target.ID]; a.Updated <= a.Published {
			t.Errorf("the store's updated %d of the edited article is not after its published %d", a.Updated, a.Published)
		}
		walksB := walkAll(dirFetcher{out}, base1, "world")
		for _, p := range chainProblems("after the edit", chainCheck{Feed: "world", Limit: 20, Edited: target.ID}, stored, walksB) {
			t.Error(p)
		}
	})

	t.Run("edit under serve", func(t *testing.T) {
		dir := t.TempDir()
		articles := filepath.Join(dir, "articles")
		writeStories(t, articles, 0, 200)
		cfg := historySite(t, dir, nil, 20, historyBase, "")
		dataDir := filepath.Join(dir, "data")
		p := startServeProc(t, cfg)
		base := p.base(t)
		if !waitUntil(60*time.Second, func() bool {
			return collectedCount(p.logs.String(), "files") > 0 && storeCount(dataDir) == 200
		}) {
			t.Fatalf("serve did not store 200 articles:\n%s", tail(p.logs.String()))
		}
		walks := checkServedHistory(t, base, dataDir, chainCheck{Feed: "world", Limit: 20}, 20*time.Second)
		w := walks[".atom"]
		if len(w.Items) == 0 || len(w.Docs) < 4 || w.Counts[len(w.Counts)-1] != 20 {
			t.Fatalf("atom chain: %d documents, counts %v; want at least 4, the oldest full", len(w.Docs), w.Counts)
		}
		target := w.Items[len(w.Items)-1]
		n, err := strconv.Atoi(strings.TrimPrefix(target.Title, "Story "))
		if err != nil {
			t.Fatalf("oldest item %q is not a story", target.Title)
		}
		const marker = "Rewritten under serve"
		writeFile(t, filepath.Join(articles, storyName(n)), storyTitle(n)+"\n\n"+marker+" about story "+strconv.Itoa(n)+".\n")
		var missing []string
		waitUntil(20*time.Second, func() bool {
			missing = missing[:0]
			for _, ext := range historyFormats {
				body, _, err := httpFetcher{base}.fetch("world" + ext)
				d, perr := parseDoc(body, ext, "world"+ext)
				found := false
				for _, it := range d.items {
					if err == nil && perr == nil && it.ID == target.ID && strings.Contains(it.Text, marker) &&
						(ext == ".rss" || it.Updated.After(target.Updated)) {
						found = true
					}
				}
				if !found {
					missing = append(missing, ext[1:])
				}
			}
			return len(missing) == 0
		})
		if len(missing) > 0 {
			after := walkAll(httpFetcher{base}, historyBase, "world")
			t.Errorf("20s after an edit of %s (%s, on the full page %s), serve's head lacks it with its new text and a newer updated in %v; it is in %v",
				target.ID, target.Title, w.Rels[target.Doc], missing, docsOf(after[".atom"], target.ID))
		}
		if stored, err := readStore(dataDir); err != nil {
			t.Error(err)
		} else if a := stored[target.ID]; a.Updated <= a.Published {
			t.Errorf("serve: the store's updated %d of the edited article is not after its published %d", a.Updated, a.Published)
		}
		checkServedHistory(t, base, dataDir, chainCheck{Feed: "world", Limit: 20, Edited: target.ID}, 5*time.Second)
	})

	t.Run("base_url", func(t *testing.T) {
		b, _ := os.ReadFile(cfg)
		writeFile(t, cfg, strings.Replace(string(b), "base_url: "+base1, "base_url: "+base2, 1))
		generateOut(t, cfg, out)
		var stale []string
		for _, ext := range historyFormats {
			w := walkChain(dirFetcher{out}, base2, "world", ext)
			if w.Err != nil {
				t.Errorf("%s chain under the new base_url: walk stopped after %d documents: %v", ext[1:], len(w.Docs), w.Err)
			}
			// Walked again following the old base_url's links too, to
			// count every stale link.
			w = walkChain(dirFetcher{out}, base2, "world", ext, base1)
			if w.Err != nil {
				t.Errorf("%s chain under either base_url: walk stopped after %d documents: %v", ext[1:], len(w.Docs), w.Err)
			}
			for _, l := range w.Links {
				if strings.Contains(l.Href, "://") && !strings.HasPrefix(l.Href, base2) {
					stale = append(stale, fmt.Sprintf("%s %s=%s", l.Doc, l.Rel, l.Href))
				}
			}
		}
		if len(stale) > 0 {
			t.Errorf("after base_url changed to %s, %d links still point elsewhere, e.g. %s", base2, len(stale), example(stale))
		}
	})

	t.Run("keep", func(t *testing.T) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "articles"), 0o755)
		up := newUpstream(t, 1, 10)
		cfg := historySite(t, dir, up, 20, historyBase, "    keep: 5\n")
		out := filepath.Join(dir, "public")
		generateOut(t, cfg, out)
		up.set(11, 12)
		generateOut(t, cfg, out)
		stored, err := readStore(filepath.Join(dir, "data"))
		if err != nil {
			t.Fatal(err)
		}
		var have []string
		for _, a := range stored {
			if a.Source == "up" {
				have = append(have, strings.TrimPrefix(a.ID, "https://upstream.example/items/"))
			}
		}
		sort.Slice(have, func(i, j int) bool { a, _ := strconv.Atoi(have[i]); b, _ := strconv.Atoi(have[j]); return a < b })
		if got := strings.Join(have, ","); got != "6,7,8,9,10,11,12" {
			t.Errorf("keep 5, upstream 1-10 then 11-12: the store holds items %s; want 6,7,8,9,10,11,12", got)
		}
	})

	t.Run("deleted file", func(t *testing.T) {
		dir := t.TempDir()
		articles := filepath.Join(dir, "articles")
		writeStories(t, articles, 0, 50)
		cfg := historySite(t, dir, nil, 20, historyBase, "")
		dataDir := filepath.Join(dir, "data")
		out := filepath.Join(dir, "public")
		generateOut(t, cfg, out)
		before, err := readStore(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(articles, storyName(7))); err != nil {
			t.Fatal(err)
		}
		generateOut(t, cfg, out)
		after, err := readStore(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != 50 || len(before) != 50 {
			t.Errorf("a folder of 50, one file deleted, default keep: the store held %d, then %d; want 50 both times", len(before), len(after))
		}
		checkFolderLinks(t, "after a deletion", out, dataDir, chainCheck{Feed: "world", Limit: 20})
	})
}

func docsOf(w *chainWalk, id string) []string {
	var out []string
	for _, it := range w.Items {
		if it.ID == id {
			out = append(out, w.Rels[it.Doc])
		}
	}
	return out
}

// TestHistoryArchiveCaching: a full archive document is served as
// immutable for a long time; the head is not.
func TestHistoryArchiveCaching(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	dir := t.TempDir()
	writeStories(t, filepath.Join(dir, "articles"), 0, 200)
	cfg := historySite(t, dir, nil, 20, historyBase, "")
	dataDir := filepath.Join(dir, "data")
	p := startServeProc(t, cfg)
	base := p.base(t)
	if !waitUntil(60*time.Second, func() bool {
		return collectedCount(p.logs.String(), "files") > 0 && storeCount(dataDir) == 200
	}) {
		t.Fatalf("serve did not store 200 articles:\n%s", tail(p.logs.String()))
	}
	walks := checkServedHistory(t, base, dataDir, chainCheck{Feed: "world", Limit: 20}, 20*time.Second)
	maxAge := regexp.MustCompile(`max-age=(\d+)`)
	for _, ext := range historyFormats {
		w := walks[ext]
		if len(w.Rels) < 3 {
			t.Errorf("%s: %d documents in the chain; want a head, an open page and a full one", ext[1:], len(w.Rels))
			continue
		}
		_, h, err := httpFetcher{base}.fetch(w.Rels[0])
		if err != nil {
			t.Fatal(err)
		}
		if cc := h.Get("Cache-Control"); strings.Contains(cc, "immutable") {
			t.Errorf("head %s: Cache-Control %q is immutable", w.Rels[0], cc)
		}
		// Every page older than the newest archive page is full.
		for _, rel := range w.Rels[2:] {
			_, h, err := httpFetcher{base}.fetch(rel)
			if err != nil {
				t.Fatal(err)
			}
			cc := h.Get("Cache-Control")
			m := maxAge.FindStringSubmatch(cc)
			age := 0
			if m != nil {
				age, _ = strconv.Atoi(m[1])
			}
			if !strings.Contains(cc, "immutable") || age < 86400 {
				t.Errorf("full archive document %s: Cache-Control %q; want immutable and max-age of at least 86400", rel, cc)
				break
			}
		}
	}
}

// TestHistoryTwoGenerates: two generate runs at once on one data_dir,
// each to its own folder, five times with files added in between: both
// succeed with no "database is locked", and each folder holds every stored
// article exactly once along each format's chain.
func TestHistoryTwoGenerates(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	writeStories(t, articles, 0, 400)
	cfg := historySite(t, dir, nil, 20, historyBase, "")
	dataDir := filepath.Join(dir, "data")
	outs := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	next := 400
	for round := range 5 {
		writeStories(t, articles, next, next+15)
		next += 15
		var wg sync.WaitGroup
		logs := make([]string, len(outs))
		errs := make([]error, len(outs))
		for i, out := range outs {
			wg.Go(func() {
				b, err := herald("generate", "--config", cfg, "--out", out).CombinedOutput()
				logs[i], errs[i] = string(b), err
			})
		}
		wg.Wait()
		for i := range outs {
			if errs[i] != nil || strings.Contains(logs[i], "locked") || strings.Contains(logs[i], "SQLITE_BUSY") {
				t.Fatalf("round %d, generate %d: %v\n%s", round, i, errs[i], logs[i])
			}
		}
	}
	for _, out := range outs {
		checkFolderLinks(t, "generate to "+filepath.Base(out), out, dataDir, chainCheck{Feed: "world", Limit: 20})
	}
}
