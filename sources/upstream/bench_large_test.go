package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// largeItemFeed returns an RSS feed whose one item carries about size
// bytes of HTML (paragraphs with links and images, escaped in a
// description), as in the issue #10 report.
func largeItemFeed(size int) string {
	var b strings.Builder
	para := `&lt;p&gt;Some words of a very long article, with &lt;a href="/x"&gt;a link&lt;/a&gt; and &lt;img src="i.png"&gt; an image.&lt;/p&gt;` + "\n"
	for b.Len() < size {
		b.WriteString(para)
	}
	return upRSS(`<item><guid>https://big.example/1</guid><title>Big</title><link>https://big.example/1</link>` +
		`<pubDate>Sun, 01 Mar 2026 10:00:00 GMT</pubDate><description>` + b.String() + `</description></item>`)
}

// BenchmarkLargeItem collects, normalizes and renders a feed whose single
// item holds 9 MB of HTML: one source alone, and eight such sources
// collected at once. It reports the peak heap in use (sampled every
// millisecond), the bound README documents.
//
// "many" is the same 9 MB spread over 2,000 items under the per-item cap:
// what the body cap and the parse budget alone bound.
func BenchmarkLargeItem(b *testing.B) {
	body := largeItemFeed(9 << 20)
	para := strings.Repeat("&lt;p&gt;Words of an item, with &lt;a href=\"/x\"&gt;a link&lt;/a&gt;.&lt;/p&gt;\n", 48)
	items := make([]string, 2000)
	for i := range items {
		items[i] = fmt.Sprintf(`<item><guid>https://many.example/%d</guid><title>Item %d</title><link>https://many.example/%d</link>`+
			`<pubDate>Sun, 01 Mar 2026 10:00:00 GMT</pubDate><description>%s</description></item>`, i, i, i, para)
	}
	many := upRSS(items...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		if strings.HasPrefix(r.URL.Path, "/many/") {
			io.WriteString(w, many)
			return
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name  string
		path  string
		n     int
		items int
	}{{"sources=1", "/feed/", 1, 1}, {"sources=8", "/feed/", 8, 1}, {"many/sources=1", "/many/", 1, 2000}} {
		b.Run(tc.name, func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				peak = max(peak, largeItemRun(b, srv.URL+tc.path, tc.n, tc.items))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// largeItemRun collects n sources at once (each must give items
// articles), then normalizes and renders each, and returns the peak
// HeapInuse sampled meanwhile.
func largeItemRun(tb testing.TB, url string, n, items int) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
	}
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	})
	f, err := sources.NewFetcher(sources.FetchConfig{PerHost: n}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range n {
		src := upFeed(tb, f, fmt.Sprintf("big%d", i), fmt.Sprintf("%s%d", url, i))
		wg.Go(func() {
			res, err := src.Collect(context.Background(), sources.State{})
			as := res.Articles
			if err != nil || len(as) != items {
				failed.Add(1)
				return
			}
			fd := &feed.Feed{Name: "big", Title: "Big", BaseURL: "https://herald.example/",
				Items: feed.Normalize(as, feed.Options{Now: upNow})}
			for _, format := range feed.Formats {
				if err := format.Render(io.Discard, fd); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	sampler.Wait()
	sample()
	if k := failed.Load(); k > 0 {
		tb.Fatalf("%d sources failed", k)
	}
	return peak.Load()
}
