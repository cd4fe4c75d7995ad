package sourcetest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldfeed/herald/sources"
)

// Sleeps records the delays a Fetcher asked to sleep, without sleeping.
type Sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *Sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

// Got returns the delays asked for so far.
func (s *Sleeps) Got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// Fetcher returns a Fetcher whose retries do not wait, and the record of
// the waits it asked for.
func Fetcher(t testing.TB, cfg sources.FetchConfig) (*sources.Fetcher, *Sleeps) {
	t.Helper()
	f, err := sources.NewFetcher(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Sleeps{}
	f.Sleep = s.sleep
	f.RetryDelay = 100 * time.Millisecond
	return f, s
}

// Server serves whatever body currently holds, with the status code and
// ETag set last, counting requests. A request whose If-None-Match is the
// current non-empty ETag gets a 304.
type Server struct {
	*httptest.Server
	Reqs atomic.Int32

	mu   sync.Mutex
	body string
	code int
	etag string
}

// NewServer starts a Server answering 200 with body; it stops with t.
func NewServer(t testing.TB, body string) *Server {
	t.Helper()
	s := &Server{body: body, code: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Reqs.Add(1)
		s.mu.Lock()
		body, code, etag := s.body, s.code, s.etag
		s.mu.Unlock()
		if etag != "" {
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// Set makes the server answer code with body from now on.
func (s *Server) Set(code int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.body = code, body
}

// SetETag makes the server send etag with its answers, and answer 304
// to a request that has it.
func (s *Server) SetETag(etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.etag = etag
}
