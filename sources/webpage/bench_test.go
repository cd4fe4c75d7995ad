package webpage

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/PuerkitoBio/goquery"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// bigNewsPage is a news home page of about size bytes: navigation and
// a mega-menu, sections of teasers, "most read" asides, inline state, a
// footer of links, as large news sites serve them.
func bigNewsPage(size int) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><title>Big News</title><style>` + strings.Repeat(".a{color:red}", 2000) + `</style></head><body><header class="site-header"><nav><ul>`)
	for i := range 300 {
		fmt.Fprintf(&b, `<li><a href="/section/%d">Section %d</a><ul><li><a href="/section/%d/sub">Sub</a></li></ul></li>`, i, i, i)
	}
	b.WriteString(`</ul></nav></header><script>window.__STATE__ = {"config":{"flags":[` + strings.Repeat(`{"name":"flag","on":true},`, 3000) + `{"name":"x","on":false}]}};</script><main id="content">`)
	n := 0
	for s := 0; b.Len() < size-20000; s++ {
		fmt.Fprintf(&b, `<section class="section"><h2 class="section-title"><a href="/section/%d">Section %d</a></h2>`, s, s)
		for range 12 {
			n++
			fmt.Fprintf(&b, `<article class="story"><a href="/news/2026/03/01/story-number-%d"><img src="/img/%d.jpg" alt="photo"></a>
<h3 class="headline"><a href="/news/2026/03/01/story-number-%d">Story number %d is a headline of some length</a></h3>
<p class="dek">A summary of the story, a sentence or two long, as teasers have.</p><time datetime="2026-03-01T08:00:00Z">1 March</time>
<ul class="tags"><li><a href="/tag/politics">politics</a></li><li><a href="/tag/world">world</a></li></ul></article>`, n, n, n, n)
		}
		b.WriteString(`<aside class="most-read"><ol>`)
		for i := range 5 {
			fmt.Fprintf(&b, `<li><a href="/news/2026/02/28/popular-%d-%d">A popular story from yesterday, number %d</a></li>`, s, i, i)
		}
		b.WriteString(`</ol></aside></section>`)
	}
	b.WriteString(`</main><footer class="site-footer">`)
	for i := range 200 {
		fmt.Fprintf(&b, `<a href="/page/%d">Footer link %d</a> `, i, i)
	}
	b.WriteString(`</footer></body></html>`)
	return b.String()
}

func TestBigNewsPage(t *testing.T) {
	// The benchmark's page is detected as it should be: every story, no
	// navigation, tags or asides.
	page := bigNewsPage(2 << 20)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	p, err := New(Config{Name: "big", URL: "https://big.example/"}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := p.extract([]byte(page), "https://big.example/", "text/html")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Count(page, `<article class="story">`)
	if len(ex.articles) != want {
		t.Fatalf("%d items, want %d (%s)", len(ex.articles), want, ex.det)
	}
	for i, a := range ex.articles {
		if w := fmt.Sprintf("https://big.example/news/2026/03/01/story-number-%d", i+1); a.URL != w {
			t.Fatalf("item %d: %s, want %s", i, a.URL, w)
		}
	}
}

// cpuTime is the CPU time the process used so far: on a machine shared
// with other work it is a truer measure than the wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDetect2MB is detection and extraction on a 2 MB news home
// page (3,000 stories). detect-ms is one extraction, parse included, and
// detect-cpu-ms the CPU time it used (the GC's included);
// x-parse is that time over html.Parse's of the same bytes alone, and
// x-parse-cpu the same in CPU time; peak-MB
// is the heap in use after an iteration, the parsed page included. The
// loop also times the bare parse, so ns/op is about their sum.
func BenchmarkDetect2MB(b *testing.B) {
	page := []byte(bigNewsPage(2 << 20))
	f, _ := sourcetest.Fetcher(b, sources.FetchConfig{})
	p, err := New(Config{Name: "big", URL: "https://big.example/"}, f, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	var peak uint64
	var parsing, total, cpu, parseCPU time.Duration
	for b.Loop() {
		// The parse alone, timed beside the whole, so the ratio holds on
		// a machine whose load changes the absolute times.
		t0, c0 := time.Now(), cpuTime(b)
		if _, err := html.Parse(bytes.NewReader(page)); err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuTime(b)
		parseCPU += c1 - c0
		ex, err := p.extract(page, "https://big.example/", "text/html")
		if err != nil || len(ex.articles) == 0 {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c1
		parsing += t1.Sub(t0)
		total += time.Since(t1)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "detect-ms")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "detect-cpu-ms")
	b.ReportMetric(float64(total)/float64(parsing), "x-parse")
	b.ReportMetric(float64(cpu)/float64(parseCPU), "x-parse-cpu")
}

// BenchmarkDetectOnly2MB times finding the article list on the parsed 2 MB
// page (3,000 stories): the parse, which every reading of the page needs,
// and reading the items are left out.
//
//	go test ./sources/webpage -run '^$' -bench DetectOnly2MB -benchtime 20x
func BenchmarkDetectOnly2MB(b *testing.B) {
	page := []byte(bigNewsPage(2 << 20))
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		b.Fatal(err)
	}
	const pageURL = "https://big.example/"
	base := baseOf(doc, pageURL)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		det, _ := detect(doc, base, pageURL, Selectors{})
		if det.Selectors.Item == "" {
			b.Fatal("nothing detected")
		}
	}
}
