package extract

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// bigPage is testdata/article.html grown to about size bytes. A typical
// page (text false) grows as real news pages of that size are made: the
// bytes are mostly scripts (a JSON state blob), styles, inline SVG icons
// and a long navigation menu, around an article of a few thousand words
// with a related list and a comment thread; the 500 KB pages of the
// benchmark corpus carry 5 to 40 KB of text. A text page (text true) is
// the worst case: the whole size is article paragraphs, related links
// and comments, tens of thousands of elements.
func bigPage(tb testing.TB, size int, text bool) string {
	page := readArticle(tb)
	const para = "<p>The survey went on through the summer, and each week the volunteers walked the banks from the mill to the weir, noting tracks, spraints and the places where the otters had slid down into the water.</p>\n"
	const related = `<li><a href="/news/a-story">A related story about the valley, its river and the people who look after it</a></li>`
	const comment = `<li class="comment"><p class="comment-author">A reader</p><p>What a lovely thing to read on a Monday morning, thank you for the update.</p></li>`
	var body, rel, com, chrome strings.Builder
	grow := func() int { return body.Len() + rel.Len() + com.Len() + chrome.Len() + len(page) }
	if text {
		for grow() < size {
			body.WriteString(para)
			rel.WriteString(related)
			com.WriteString(comment)
		}
	} else {
		for range 30 {
			body.WriteString(para)
			com.WriteString(comment)
		}
		for range 40 {
			rel.WriteString(related)
		}
		chrome.WriteString(`<nav class="mega-menu"><ul>`)
		for i := range 400 {
			fmt.Fprintf(&chrome, `<li class="menu-item menu-item-type-taxonomy menu-item-%d"><a href="/section/%d/" data-track="nav">Section %d</a></li>`, i, i, i)
		}
		chrome.WriteString(`</ul></nav>`)
		for range 60 {
			chrome.WriteString(`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm0 18c-4.41 0-8-3.59-8-8s3.59-8 8-8 8 3.59 8 8-3.59 8-8 8zm-1-13h2v6h-2zm0 8h2v2h-2z"/></svg>`)
		}
		chrome.WriteString("<style>")
		for i := 0; chrome.Len() < size/6; i++ {
			fmt.Fprintf(&chrome, ".c%d{margin:0 auto;padding:4px 8px;font:16px/1.4 Georgia,serif;color:#222}\n", i)
		}
		chrome.WriteString("</style><script>window.__STATE__={\"items\":[")
		for i := 0; grow() < size-64; i++ {
			fmt.Fprintf(&chrome, `{"id":%d,"title":"A story about the valley number %d","url":"/news/%d","tags":["river","valley"]},`, i, i, i)
		}
		chrome.WriteString("{}]};</script>")
	}
	page = strings.Replace(page, "<!--CLUTTER:top-->", chrome.String(), 1)
	page = strings.Replace(page, "<!--CLUTTER:middle-->", body.String(), 1)
	page = strings.Replace(page, "<!--CLUTTER:end-->", `<section class="related-stories"><h2>Related stories</h2><ul>`+rel.String()+`</ul></section>`, 1)
	return strings.Replace(page, "<!--CLUTTER:after-->", `<section id="comments"><ol>`+com.String()+`</ol></section>`, 1)
}

var benchURL = &url.URL{Scheme: "https", Host: "courier.example", Path: "/2024/otters-return"}

// BenchmarkExtract500KB is one 500 KB page, the size of a large news
// article page with its chrome. Goal: under 50 ms.
func BenchmarkExtract500KB(b *testing.B) {
	for _, tc := range []struct {
		name string
		text bool
	}{{"typical", false}, {"text", true}} {
		b.Run(tc.name, func(b *testing.B) { benchmarkExtract(b, bigPage(b, 500<<10, tc.text)) })
	}
}

func benchmarkExtract(b *testing.B, page string) {
	trailers, err := NewTrailers(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(context.Background(), strings.NewReader(page), Options{URL: benchURL, Trailers: trailers}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractParallel8 extracts 8 pages of 500 KB at once and
// reports the peak heap (sampled every millisecond) as peak-MB: what
// full text and a folder of saved pages cost at most, 8 pages being more
// than fullTextWorkers and the cores.
func BenchmarkExtractParallel8(b *testing.B) {
	page := bigPage(b, 500<<10, false)
	trailers, err := NewTrailers(nil)
	if err != nil {
		b.Fatal(err)
	}
	var peak uint64
	for b.Loop() {
		runtime.GC()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		done := make(chan struct{})
		var sampler sync.WaitGroup
		sampler.Go(func() {
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				metrics.Read(sample)
				peak = max(peak, sample[0].Value.Uint64())
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := Extract(context.Background(), strings.NewReader(page), Options{URL: benchURL, Trailers: trailers}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		close(done)
		sampler.Wait()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}

// TestBigPageExtracts keeps the benchmark page honest: its article comes
// out and its chrome does not.
func TestBigPageExtracts(t *testing.T) {
	for _, text := range []bool{false, true} {
		page := bigPage(t, 500<<10, text)
		if len(page) < 490<<10 || len(page) > 520<<10 {
			t.Fatalf("page is %d bytes", len(page))
		}
		checkBigPage(t, page)
	}
}

func checkBigPage(t *testing.T, page string) {
	trailers, err := NewTrailers(nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Extract(context.Background(), strings.NewReader(page), Options{URL: benchURL, Trailers: trailers})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"noting tracks, spraints", "keep dogs on a lead"} {
		if !strings.Contains(r.Content, want) {
			t.Errorf("content lacks %q", want)
		}
	}
	for _, chrome := range []string{"A related story about the valley", "lovely thing to read", "Section 12", "margin:0", "__STATE__"} {
		if strings.Contains(r.Content, chrome) {
			t.Errorf("content keeps %q", chrome)
		}
	}
}

// BenchmarkExtractFile extracts the page named by HERALD_EXTRACT_FILE, to
// time real pages from a corpus (README: Article extraction).
func BenchmarkExtractFile(b *testing.B) {
	name := os.Getenv("HERALD_EXTRACT_FILE")
	if name == "" {
		b.Skip("HERALD_EXTRACT_FILE names no page")
	}
	page, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(context.Background(), bytes.NewReader(page), Options{URL: benchURL}); err != nil {
			b.Fatal(err)
		}
	}
}
