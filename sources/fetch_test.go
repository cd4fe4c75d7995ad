package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

func TestFetchConditionalGet(t *testing.T) {
	const etag, lastMod = `"v1"`, "Mon, 02 Jan 2006 15:04:05 GMT"
	var reqs []http.Header
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Header.Clone())
		mu.Unlock()
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	ctx := context.Background()

	r1, err := f.Get(ctx, srv.URL, sources.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if r1.NotModified || string(r1.Body) != "hello" {
		t.Fatalf("first Get = %+v, want a 200 with the body", r1)
	}
	if want := (sources.Validators{ETag: etag, LastModified: lastMod}); r1.Validators() != want {
		t.Errorf("sources.Validators() = %+v, want %+v", r1.Validators(), want)
	}
	// The sources.Fetcher remembers nothing: without validators the next request
	// is unconditional, with them it is conditional.
	if _, err := f.Get(ctx, srv.URL, sources.Validators{}); err != nil {
		t.Fatal(err)
	}
	r3, err := f.Get(ctx, srv.URL, r1.Validators())
	if err != nil {
		t.Fatal(err)
	}
	if !r3.NotModified {
		t.Errorf("third Get NotModified = false, want true")
	}

	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(reqs))
	}
	for i, h := range reqs {
		if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "Herald/") {
			t.Errorf("request %d User-Agent = %q, want Herald/...", i, ua)
		}
		if ae := h.Get("Accept-Encoding"); ae != "gzip" {
			t.Errorf("request %d Accept-Encoding = %q, want gzip", i, ae)
		}
	}
	got := []string{reqs[1].Get("If-None-Match"), reqs[1].Get("If-Modified-Since"),
		reqs[2].Get("If-None-Match"), reqs[2].Get("If-Modified-Since")}
	want := []string{"", "", etag, lastMod}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("validators sent (-want +got):\n%s", diff)
	}
}

func TestFetchRetries(t *testing.T) {
	tests := []struct {
		name      string
		responses []func(w http.ResponseWriter) // one per attempt; the last repeats
		wantReqs  int
		wantErr   bool
		wantSleep []time.Duration // nil: only check the count
		sleeps    int
	}{
		{
			name:      "500 then success",
			responses: []func(http.ResponseWriter){upStatus(500, ""), upStatus(200, "")},
			wantReqs:  2, sleeps: 1,
		},
		{
			name:      "500 every time gives up after retries",
			responses: []func(http.ResponseWriter){upStatus(500, "")},
			wantReqs:  3, wantErr: true, sleeps: 2,
		},
		{
			name:      "404 is not retried",
			responses: []func(http.ResponseWriter){upStatus(404, "")},
			wantReqs:  1, wantErr: true, sleeps: 0,
		},
		{
			name:      "429 honours Retry-After seconds",
			responses: []func(http.ResponseWriter){upStatus(429, "7"), upStatus(200, "")},
			wantReqs:  2, wantSleep: []time.Duration{7 * time.Second}, sleeps: 1,
		},
		{
			name:      "503 honours Retry-After",
			responses: []func(http.ResponseWriter){upStatus(503, "3"), upStatus(503, "5"), upStatus(200, "")},
			wantReqs:  3, wantSleep: []time.Duration{3 * time.Second, 5 * time.Second}, sleeps: 2,
		},
		{
			name:      "429 asking for an hour is not waited for",
			responses: []func(http.ResponseWriter){upStatus(429, "3600"), upStatus(200, "")},
			wantReqs:  1, wantErr: true, sleeps: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				tt.responses[min(i, len(tt.responses)-1)](w)
			}))
			defer srv.Close()
			f, sl := sourcetest.Fetcher(t, sources.FetchConfig{})
			_, err := f.Get(context.Background(), srv.URL, sources.Validators{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Get error = %v, want error %v", err, tt.wantErr)
			}
			if got := int(n.Load()); got != tt.wantReqs {
				t.Errorf("requests = %d, want %d", got, tt.wantReqs)
			}
			got := sl.Got()
			if len(got) != tt.sleeps {
				t.Errorf("sleeps = %v, want %d of them", got, tt.sleeps)
			}
			if tt.wantSleep != nil {
				if diff := cmp.Diff(tt.wantSleep, got); diff != "" {
					t.Errorf("sleeps (-want +got):\n%s", diff)
				}
			}
			for i, d := range got {
				if tt.wantSleep == nil && (d < 50*time.Millisecond<<i || d > 100*time.Millisecond<<i) {
					t.Errorf("sleep %d = %s, want within [%s, %s] (jittered exponential)",
						i, d, 50*time.Millisecond<<i, 100*time.Millisecond<<i)
				}
			}
		})
	}
}

func upStatus(code int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		io.WriteString(w, "ok")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := sources.ParseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("sources.ParseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select { // sleep past the client's timeout, but let the test end
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	f, sl := sourcetest.Fetcher(t, sources.FetchConfig{Timeout: 50 * time.Millisecond, Retries: 1})
	_, err := f.Get(context.Background(), srv.URL, sources.Validators{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get error = %v, want a deadline exceeded", err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("requests = %d, want 2 (a timeout is retried)", got)
	}
	if got := len(sl.Got()); got != 1 {
		t.Errorf("sleeps = %d, want 1", got)
	}
}

func TestFetchTooLarge(t *testing.T) {
	const max = 1 << 20
	// A gzip bomb: 100 MiB of zeros in about 100 KiB. A gzip stream may be
	// several members back to back, so one compressed MiB repeated 100
	// times is a valid stream that decompresses to 100 MiB, without the
	// test compressing 100 MiB itself.
	bomb := bytes.Repeat(upGzip(t, make([]byte, 1<<20)), 100)
	small := upGzip(t, []byte("fits"))

	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string // body wanted; "" means sources.ErrTooLarge
	}{
		{"content-length over the cap", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(max+1))
			w.Write(make([]byte, max+1))
		}, ""},
		{"chunked body over the cap", func(w http.ResponseWriter, r *http.Request) {
			for range 3 {
				w.Write(make([]byte, max/2))
				w.(http.Flusher).Flush()
			}
		}, ""},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		}, ""},
		{"small gzip is decompressed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(small)
		}, "fits"},
		{"exactly the cap", func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte("a"), max))
		}, strings.Repeat("a", max)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			f, _ := sourcetest.Fetcher(t, sources.FetchConfig{MaxBody: max})
			r, err := f.Get(context.Background(), srv.URL, sources.Validators{})
			if tt.want == "" {
				if !errors.Is(err, sources.ErrTooLarge) {
					t.Fatalf("Get error = %v, want sources.ErrTooLarge", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Body) != tt.want {
				t.Errorf("body = %.20q (%d bytes), want %.20q", r.Body, len(r.Body), tt.want)
			}
		})
	}
}

func upGzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	if _, err := gz.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/a", http.StatusFound) })
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			io.WriteString(w, "end")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusMovedPermanently)
	})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	tests := []struct {
		path     string
		wantErr  bool
		wantReqs int32
	}{
		{"/loop/a", true, 2},
		{"/chain/6", true, 6},
		{"/chain/5", false, 6},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			n.Store(0)
			f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
			r, err := f.Get(context.Background(), srv.URL+tt.path, sources.Validators{})
			if tt.wantErr {
				if !errors.Is(err, sources.ErrRedirect) {
					t.Fatalf("Get error = %v, want a redirect error", err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if r.URL != srv.URL+"/chain/0" {
				t.Errorf("final URL = %s, want %s/chain/0", r.URL, srv.URL)
			}
			if got := n.Load(); got != tt.wantReqs {
				t.Errorf("requests = %d, want %d (redirect errors are not retried)", got, tt.wantReqs)
			}
		})
	}
}

func TestFetchPerHostCap(t *testing.T) {
	const perHost, clients = 2, 12
	var inflight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond) // hold the slot so requests overlap
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{PerHost: perHost})
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			_, err := f.Get(context.Background(), fmt.Sprintf("%s/%d", srv.URL, i), sources.Validators{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := peak.Load(); got > perHost || got < 1 {
		t.Errorf("peak in-flight requests = %d, want 1..%d", got, perHost)
	}
}

// TestFetchGate: a Gate that says no stops a request before it is sent,
// and a redirect before it is followed.
func TestFetchGate(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/feed", http.StatusFound)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	stop := errors.New("the lease ran out")
	var closed atomic.Bool
	gate := func() error {
		if closed.Load() {
			return stop
		}
		return nil
	}
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Gate: gate})
	if _, err := f.Get(context.Background(), srv.URL+"/feed", sources.Validators{}); err != nil {
		t.Fatalf("open gate: %v", err)
	}
	closed.Store(true)
	if _, err := f.Get(context.Background(), srv.URL+"/feed", sources.Validators{}); !errors.Is(err, stop) {
		t.Errorf("closed gate: %v, want the gate's error", err)
	}
	mu.Lock()
	n := len(paths)
	mu.Unlock()
	if n != 1 {
		t.Errorf("%d requests reached the server, want 1 (the closed gate's none)", n)
	}
	// Open for the first request, closed before the redirect is followed.
	closed.Store(false)
	f2, _ := sourcetest.Fetcher(t, sources.FetchConfig{Gate: func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(paths) > 1 {
			return stop
		}
		return nil
	}})
	if _, err := f2.Get(context.Background(), srv.URL+"/moved", sources.Validators{}); !errors.Is(err, stop) {
		t.Errorf("gate closed before a redirect: %v, want the gate's error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 2 || paths[1] != "/moved" {
		t.Errorf("requests %v, want the redirect not followed", paths)
	}
}
