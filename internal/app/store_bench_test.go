package app

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/collect"
	"github.com/heraldfeed/herald/internal/site"
	"github.com/heraldfeed/herald/internal/store/sqlite"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/local"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWarmCollect: one collection of a files source of 10,000
// unchanged files, through the collector into the SQLite store (goal:
// under 50 ms of CPU). Reports cpu-ms/op.
//
//	go test ./internal/app -run '^$' -bench WarmCollect -benchtime 20x
func BenchmarkWarmCollect(b *testing.B) {
	dir := b.TempDir()
	writeArticles(b, filepath.Join(dir, "articles"), 10000)
	src, err := local.New(local.Config{Name: "articles", Path: filepath.Join(dir, "articles"), BaseURL: "http://localhost:8080/"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	col, err := collect.New(collect.Options{Sources: []collect.Entry{{Source: src, Key: "articles@1"}}, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := col.Collect(ctx, "articles"); err != nil { // cold
		b.Fatal(err)
	}
	cpu := cpuTime(b)
	b.ResetTimer()
	for range b.N {
		if err := col.Collect(ctx, "articles"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	if got := col.Status()[0].Items; got != 10000 {
		b.Fatalf("%d items, want 10000", got)
	}
}

// synthSource is a source of n synthetic local-like articles (each with
// an article page) that, like a files source, returns only what changed
// since the previous collection and names the rest in Kept.
type synthSource struct {
	name string
	n    int

	mu      sync.Mutex
	edits   map[int]int // article index → edit count
	changed []int
}

func (s *synthSource) Name() string { return s.name }

func (s *synthSource) article(i int) feed.Article {
	page := fmt.Sprintf("articles/%s-%05d.html", s.name, i)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
	body := strings.Repeat(fmt.Sprintf("Paragraph of article %d of %s, edit %d. ", i, s.name, s.edits[i]), 12)
	return feed.Article{
		ID: "urn:" + s.name + ":" + strconv.Itoa(i), Page: page, URL: "http://localhost:8080/" + page,
		Title: fmt.Sprintf("Article %d of %s", i, s.name), Content: "<p>" + body + "</p><p>" + body + "</p>",
		Published: at, Updated: at, Source: s.name,
	}
}

func (s *synthSource) edit(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.edits[i]++
	s.changed = append(s.changed, i)
}

func (s *synthSource) Collect(_ context.Context, prev sources.State) (sources.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := sources.Result{Articles: []feed.Article{}, State: prev}
	if prev.Files == nil { // first collection: everything
		for i := range s.n {
			res.Articles = append(res.Articles, s.article(i))
		}
		res.State.Files = map[string]sources.FileStamp{"all": {ID: "seen"}}
	} else {
		changed := map[int]bool{}
		for _, i := range s.changed {
			changed[i] = true
			res.Articles = append(res.Articles, s.article(i))
		}
		for i := range s.n {
			if !changed[i] {
				res.Kept = append(res.Kept, s.article(i).ID)
			}
		}
	}
	s.changed = nil
	return res, nil
}

// synthSite is 20 sources of 5,000 articles, one feed each (limit 50,
// so the rest are archived), collected into a SQLite store in dir.
func synthSite(tb testing.TB, dir string) (*collect.Collector, *site.Builder, []*synthSource, func()) {
	const nsrc, per = 20, 5000
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	var entries []collect.Entry
	var srcs []*synthSource
	s := site.Site{Title: "Bench", BaseURL: "http://localhost:8080/"}
	for i := range nsrc {
		src := &synthSource{name: fmt.Sprintf("s%02d", i), n: per, edits: map[int]int{}}
		srcs = append(srcs, src)
		entries = append(entries, collect.Entry{Source: src, Key: src.name + "@bench", Fresh: 50})
		s.Feeds = append(s.Feeds, site.FeedSpec{Name: "f" + src.name, Title: "Feed " + src.name,
			Sources: []string{src.name}, Filter: feed.Filter{Limit: 50}})
	}
	col, err := collect.New(collect.Options{Sources: entries, Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	if err := col.Restore(context.Background()); err != nil {
		tb.Fatal(err)
	}
	bld := site.New(s, site.Options{Log: st})
	return col, bld, srcs, func() { st.Close() }
}

// BenchmarkChangedArticle: 100,000 stored articles across 20 feeds from
// 20 sources; each op edits one article of one source, collects that
// source and rebuilds the site: the time from the change to the
// re-rendered affected feed (goal: under 200 ms).
//
//	go test ./internal/app -run '^$' -bench ChangedArticle -benchtime 20x
func BenchmarkChangedArticle(b *testing.B) {
	col, bld, srcs, done := synthSite(b, b.TempDir())
	defer done()
	ctx := context.Background()
	if err := col.CollectAll(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := bld.Build(ctx, siteInputs(col), time.Now(), nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		srcs[0].edit(4990 + i%10) // in the head
		if err := col.Collect(ctx, "s00"); err != nil {
			b.Fatal(err)
		}
		files, err := bld.Build(ctx, siteInputs(col), time.Now(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 && !containsPath(files, "fs00.rss") {
			b.Fatal("no fs00.rss built")
		}
	}
}

func containsPath(files []feed.File, p string) bool {
	for _, f := range files {
		if f.Path == p {
			return true
		}
	}
	return false
}

// BenchmarkServeMemory: the peak resident memory (VmHWM) of a real
// `herald serve` child process whose store holds 100,000 articles across
// 20 feeds from 20 sources, after it served every feed and some article
// pages and archive documents (goal: under 150 MB). Reports peak-MB and
// first-200-ms (start to the first 200 of a feed).
//
//	go test ./internal/app -run '^$' -bench ServeMemory -benchtime 1x
func BenchmarkServeMemory(b *testing.B) {
	dir := b.TempDir()
	col, bld, _, done := synthSite(b, filepath.Join(dir, "data"))
	ctx := context.Background()
	if err := col.CollectAll(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := bld.Build(ctx, siteInputs(col), time.Now(), nil); err != nil { // fills the archives
		b.Fatal(err)
	}
	done()
	// The same sources by name, as empty folders: history is by source
	// name, and keep: -1 keeps all of it.
	cfg := "title: Bench\nbase_url: http://localhost:8080/\nsources:\n"
	feeds := "feeds:\n"
	for i := range 20 {
		name := fmt.Sprintf("s%02d", i)
		os.MkdirAll(filepath.Join(dir, "empty", name), 0o755)
		cfg += fmt.Sprintf("  - {name: %s, type: files, path: ./empty/%s, keep: -1, schedule: \"@every 1h\"}\n", name, name)
		feeds += fmt.Sprintf("  - {name: f%s, title: Feed %s, sources: [%s], limit: 50}\n", name, name, name)
	}
	writeFile(b, filepath.Join(dir, "config.yaml"), cfg+feeds)
	bin := filepath.Join(dir, "herald")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/herald").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for range b.N {
		peak, first := serveOnce(b, bin, dir)
		b.ReportMetric(peak, "peak-MB")
		b.ReportMetric(float64(first.Milliseconds()), "first-200-ms")
	}
}

func serveOnce(b *testing.B, bin, dir string) (float64, time.Duration) {
	start := time.Now()
	cmd := exec.Command(bin, "serve", "--config", filepath.Join(dir, "config.yaml"), "--addr", "127.0.0.1:0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`msg=serving addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(60 * time.Second):
		b.Fatal("serve did not start")
	}
	var first time.Duration
	for {
		resp, err := http.Get(base + "/fs00.rss")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				first = time.Since(start)
				break
			}
		}
		if time.Since(start) > time.Minute {
			b.Fatal("no 200 within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	get := func(p string) {
		resp, err := http.Get(base + p)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %s", p, resp.Status)
		}
	}
	for i := range 20 {
		for _, ext := range []string{".rss", ".atom", ".json"} {
			get(fmt.Sprintf("/fs%02d%s", i, ext))
		}
		get(fmt.Sprintf("/archive/fs%02d-1.atom", i))
		get(fmt.Sprintf("/articles/s%02d-%05d.html", i, 100+i))
	}
	return peakMB(b, cmd.Process.Pid), first
}
