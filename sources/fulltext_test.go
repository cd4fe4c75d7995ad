package sources

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// hugePage returns an HTML article page of about size bytes, all of it
// readable paragraphs: the most a readability parse has to hold.
func hugePage(size int) []byte {
	const para = "<p>A paragraph of an enormous article, long enough and with commas, to count as readable text for the extractor.</p>\n"
	var b strings.Builder
	b.Grow(size + 256)
	b.WriteString("<!DOCTYPE html><html><head><title>Huge</title></head><body><article><h1>Huge</h1>\n")
	for b.Len() < size {
		b.WriteString(para)
	}
	b.WriteString("</article></body></html>")
	return []byte(b.String())
}

// peakHeap samples the heap every few milliseconds until stop is called,
// which returns the largest sample. Past abort bytes it calls cancel, so
// an unbounded run fails early instead of taking the machine's memory.
func peakHeap(abort uint64, cancel func()) (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak {
				peak = v
				if peak > abort {
					cancel()
				}
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// TestFullTextMemoryBounded is the reported case: 150 items linking to
// 9 MB pages took 13.2 GB and made a 450 MB feed. With the per-source
// budget, the parse budget and the cap on extracted content, the peak heap
// is a small multiple of max_body and no article keeps a huge content.
// It prints the peak; the bound asserted is generous (the old code passed
// 1 GiB). It takes about 8 s, most of it parsing five 9 MB pages.
func TestFullTextMemoryBounded(t *testing.T) {
	if raceBuild {
		// The detector multiplies memory and takes 80 s here: the bound
		// is measured without it (.ci/run runs this test again so).
		t.Skip("peak memory is measured without -race; .ci/run runs it without")
	}
	const items, pageSize = 150, 9 << 20
	const limit = 1 << 30
	page := hugePage(pageSize)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/small" {
			io.WriteString(w, "<html><body><article><p>"+strings.Repeat("A small article of ordinary size, with commas, and words. ", 20)+"</p></article></body></html>")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()
	f, err := NewFetcher(FetchConfig{Retries: -1, Timeout: 5 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	arts := []feed.Article{{Title: "small", URL: srv.URL + "/small", Content: "upstream small"}}
	for i := range items {
		arts = append(arts, feed.Article{Title: fmt.Sprint(i), URL: fmt.Sprintf("%s/p/%d", srv.URL, i), Content: "upstream"})
	}
	var logs strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runtime.GC()
	start := time.Now()
	stop := peakHeap(limit, cancel)
	cache, _ := f.FullText(ctx, arts, nil, nil, srv.URL+"/feed", nil, slog.New(slog.NewTextHandler(&logs, nil)))
	peak := stop()
	t.Logf("%d items × %d MiB pages: peak heap %d MiB in %s; %d pages extracted", items, pageSize>>20, peak>>20, time.Since(start).Round(time.Millisecond), len(cache))
	if ctx.Err() != nil || peak > limit {
		t.Fatalf("peak heap %d MiB, want under %d MiB", peak>>20, limit>>20)
	}

	total := 0
	for _, a := range arts {
		total += len(a.Content)
		if len(a.Content) > maxFullTextContent {
			t.Errorf("article %s keeps %d bytes of content, over %d", a.Title, len(a.Content), maxFullTextContent)
		}
	}
	t.Logf("content of all articles: %d KiB", total>>10)
	if !strings.Contains(arts[0].Content, "A small article") {
		t.Errorf("the small page first in the feed: content %.80q, want its full text", arts[0].Content)
	}
	// One line per collection for each reason, not one per article.
	for _, msg := range []string{"full text budget spent", "extracted full text too large"} {
		if n := strings.Count(logs.String(), msg); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", msg, n, logs.String())
		}
	}
}

// TestFullTextBudget: a source reads at most fullTextBudget·MaxBody of
// pages (plus the one under way) per collection, in the feed's order; the
// other articles keep their upstream content, with one warning.
func TestFullTextBudget(t *testing.T) {
	tests := []struct {
		name                string
		maxBody, page       int
		items               int
		wantMin, wantMax    int // pages read
		wantBudgetWarnings  int
		wantTooLargeWarning int
	}{
		{"all fit", 64 << 10, 2 << 10, 10, 10, 10, 0, 0},
		{"budget spent", 64 << 10, 60 << 10, 20, 4, 5, 1, 0},
		{"extraction over 512 KiB", 2 << 20, 700 << 10, 3, 3, 3, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := hugePage(tt.page)
			var mu sync.Mutex
			var served []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				served = append(served, r.URL.Path)
				mu.Unlock()
				w.Write(page)
			}))
			defer srv.Close()
			f, err := NewFetcher(FetchConfig{Retries: -1, MaxBody: int64(tt.maxBody)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var arts []feed.Article
			for i := range tt.items {
				arts = append(arts, feed.Article{Title: fmt.Sprint(i), URL: fmt.Sprintf("%s/p/%d", srv.URL, i), Content: "upstream"})
			}
			var logs strings.Builder
			cache, _ := f.FullText(context.Background(), arts, nil, nil, srv.URL+"/feed", nil, slog.New(slog.NewTextHandler(&logs, nil)))
			if n := len(served); n < tt.wantMin || n > tt.wantMax {
				t.Errorf("read %d pages, want %d to %d", n, tt.wantMin, tt.wantMax)
			}
			extracted := 0
			for i, a := range arts {
				switch {
				case a.Content == "upstream":
				case strings.Contains(a.Content, "enormous article") && len(a.Content) <= maxFullTextContent:
					extracted++
					if i >= len(served) {
						t.Errorf("article %d extracted although only the first %d pages were read", i, len(served))
					}
				default:
					t.Errorf("article %d content %.80q (%d bytes)", i, a.Content, len(a.Content))
				}
			}
			if extracted != len(cache) {
				t.Errorf("%d articles extracted, cache holds %d", extracted, len(cache))
			}
			if tt.wantTooLargeWarning == 0 && extracted != len(served) {
				t.Errorf("%d extracted of %d pages read", extracted, len(served))
			}
			if n := strings.Count(logs.String(), "full text budget spent"); n != tt.wantBudgetWarnings {
				t.Errorf("budget warning logged %d times, want %d:\n%s", n, tt.wantBudgetWarnings, logs.String())
			}
			if n := strings.Count(logs.String(), "extracted full text too large"); n != tt.wantTooLargeWarning {
				t.Errorf("too large warning logged %d times, want %d:\n%s", n, tt.wantTooLargeWarning, logs.String())
			}
		})
	}
}
