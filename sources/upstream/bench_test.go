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

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

const (
	benchFeeds    = 500
	benchItems    = 50
	benchParallel = 8 // sources collected at once, as the scheduler would
)

// BenchmarkCollectFeeds collects 500 distinct RSS feeds of 50 items each
// from one httptest server through one sources.Fetcher, 8 sources at a time:
// "cold" with every response a 200 to parse, "warm" with every response a
// 304. It reports the peak heap in use during the run.
func BenchmarkCollectFeeds(b *testing.B) {
	bodies := make([]string, benchFeeds)
	for i := range bodies {
		items := make([]string, benchItems)
		for j := range items {
			items[j] = fmt.Sprintf(`<item><guid>https://feed%d.example/%d</guid><title>Feed %d item %d</title>`+
				`<link>https://feed%d.example/%d</link><pubDate>Sun, 01 Mar 2026 %02d:%02d:00 GMT</pubDate>`+
				`<description>&lt;p&gt;%s&lt;/p&gt;</description></item>`,
				i, j, i, j, i, j, j%24, j%60, strings.Repeat("Some words of an article body. ", 10))
		}
		bodies[i] = upRSS(items...)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d", &i); err != nil || i < 0 || i >= benchFeeds {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"f%d"`, i)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, bodies[i])
	}))
	defer srv.Close()

	newSources := func(b *testing.B) []*Feed {
		f, err := sources.NewFetcher(sources.FetchConfig{PerHost: benchParallel}, nil)
		if err != nil {
			b.Fatal(err)
		}
		srcs := make([]*Feed, benchFeeds)
		for i := range srcs {
			srcs[i] = upFeed(b, f, fmt.Sprintf("feed%d", i), fmt.Sprintf("%s/feed/%d", srv.URL, i))
		}
		return srcs
	}

	b.Run("cold", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			b.StopTimer()
			srcs := newSources(b) // fresh validators: every response is a 200
			b.StartTimer()
			peak = max(peak, benchCollect(b, srcs))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
	b.Run("warm", func(b *testing.B) {
		srcs := newSources(b)
		benchCollect(b, srcs) // prime: validators and last good articles
		var peak uint64
		for b.Loop() {
			peak = max(peak, benchCollect(b, srcs))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
}

// benchCollect collects every source, benchParallel at a time, and
// returns the largest HeapInuse sampled meanwhile.
func benchCollect(b *testing.B, srcs []*Feed) uint64 {
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
		t := time.NewTicker(5 * time.Millisecond)
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

	jobs := make(chan *Feed)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range benchParallel {
		wg.Go(func() {
			for s := range jobs {
				as, err := sourcetest.For(s).Collect(context.Background())
				if err != nil || len(as) != benchItems {
					failed.Add(1)
				}
			}
		})
	}
	for _, s := range srcs {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	close(done)
	sampler.Wait()
	sample()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sources failed or returned the wrong number of items", n)
	}
	return peak.Load()
}
