package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// exchange is one raw request and the response read back, minus Date.
type exchange struct {
	Status int
	Header http.Header
	Body   string
}

// roundTrip writes raw (one or several pipelined requests) on a new
// connection to addr and reads one response per method listed.
func roundTrip(t *testing.T, addr, raw string, methods ...string) []exchange {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	var out []exchange
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("reading response to %q: %v", raw, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		// net/http answers malformed requests (400) without a Date.
		if _, err := http.ParseTime(resp.Header.Get("Date")); err != nil && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("response to %q: Date %q: %v", raw, resp.Header.Get("Date"), err)
		}
		resp.Header.Del("Date")
		out = append(out, exchange{resp.StatusCode, resp.Header, string(body)})
	}
	return out
}

// servePaths starts s on the fast path and, for comparison, its handler on
// a plain http.Server, and returns both addresses.
func servePaths(t *testing.T, s *Server) (fast, plain string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		ts.Close()
	})
	return ln.Addr().String(), strings.TrimPrefix(ts.URL, "http://")
}

// TestFastPathMatchesNetHTTP sends the same requests to the fast path and to
// net/http serving the same snapshot: status, headers and body must agree,
// whether the fast path answers or hands the connection over.
func TestFastPathMatchesNetHTTP(t *testing.T) {
	s := published(t)
	// Count what reaches net/http on the fast server, to prove the fast
	// path answered the cases it should (s.Handler, which the plain server
	// uses, is not wrapped).
	var mu sync.Mutex
	handed := 0
	next := s.handler
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		handed++
		mu.Unlock()
		next.ServeHTTP(w, r)
	})
	fast, plain := servePaths(t, s)
	etag := do(t, s.Handler(), "GET", "/world.rss", nil).Header.Get("Etag")
	etagGz := do(t, s.Handler(), "GET", "/world.rss", map[string]string{"Accept-Encoding": "gzip"}).Header.Get("Etag")
	lastMod := do(t, s.Handler(), "GET", "/world.rss", nil).Header.Get("Last-Modified")

	const h = "Host: example.org\r\n"
	tests := []struct {
		name, raw string
		method    string
		fast      bool // answered by the fast path, not handed to net/http
	}{
		{"get", "GET /world.rss HTTP/1.1\r\n" + h + "\r\n", "GET", true},
		{"head", "HEAD /world.rss HTTP/1.1\r\n" + h + "\r\n", "HEAD", true},
		{"gzip", "GET /world.atom HTTP/1.1\r\n" + h + "Accept-Encoding: br, gzip;q=0.8\r\n\r\n", "GET", true},
		{"gzip refused", "GET /world.atom HTTP/1.1\r\n" + h + "Accept-Encoding: gzip;q=0, identity\r\n\r\n", "GET", true},
		{"head gzip", "HEAD /world.json HTTP/1.1\r\n" + h + "accept-encoding: GZIP\r\n\r\n", "HEAD", true},
		{"index", "GET / HTTP/1.1\r\n" + h + "\r\n", "GET", true},
		{"query ignored", "GET /world.rss?utm_source=reader HTTP/1.1\r\n" + h + "\r\n", "GET", true},
		{"if-none-match", "GET /world.rss HTTP/1.1\r\n" + h + "If-None-Match: " + etag + "\r\n\r\n", "GET", true},
		{"if-none-match gz tag", "GET /world.rss HTTP/1.1\r\n" + h + "Accept-Encoding: gzip\r\nIf-None-Match: W/" + etagGz + "\r\n\r\n", "GET", true},
		{"if-none-match list", "GET /world.rss HTTP/1.1\r\n" + h + "If-None-Match: \"x\", " + etag + "\r\n\r\n", "GET", true},
		{"if-none-match star", "HEAD /world.rss HTTP/1.1\r\n" + h + "If-None-Match: *\r\n\r\n", "HEAD", true},
		{"if-none-match stale", "GET /world.rss HTTP/1.1\r\n" + h + "If-None-Match: \"old\"\r\nIf-Modified-Since: " + lastMod + "\r\n\r\n", "GET", true},
		{"if-modified-since", "GET /world.rss HTTP/1.1\r\n" + h + "If-Modified-Since: " + lastMod + "\r\n\r\n", "GET", true},
		{"if-modified-since old", "GET /world.rss HTTP/1.1\r\n" + h + "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\n", "GET", true},
		{"if-modified-since garbage", "GET /world.rss HTTP/1.1\r\n" + h + "If-Modified-Since: yesterday\r\n\r\n", "GET", true},
		{"keep-alive", "GET /world.rss HTTP/1.1\r\n" + h + "Connection: keep-alive\r\n\r\n", "GET", true},
		{"content-length 0", "GET /world.rss HTTP/1.1\r\n" + h + "Content-Length: 0\r\n\r\n", "GET", true},
		// Handed to net/http:
		{"unknown path", "GET /nope.rss HTTP/1.1\r\n" + h + "\r\n", "GET", false},
		{"post", "POST /world.rss HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc", "POST", false},
		{"healthz", "GET /healthz HTTP/1.1\r\n" + h + "\r\n", "GET", false},
		{"connection close", "GET /world.rss HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n", "GET", false},
		{"http/1.0", "GET /world.rss HTTP/1.0\r\n\r\n", "GET", false},
		{"no host", "GET /world.rss HTTP/1.1\r\n\r\n", "GET", false},
		{"two hosts", "GET /world.rss HTTP/1.1\r\n" + h + h + "\r\n", "GET", false},
		{"bad header name", "GET /world.rss HTTP/1.1\r\n" + h + "Bad Name: x\r\n\r\n", "GET", false},
		{"control in value", "GET /world.rss HTTP/1.1\r\n" + h + "X-A: a\x01b\r\n\r\n", "GET", false},
		{"line folding", "GET /world.rss HTTP/1.1\r\n" + h + "X-A: a\r\n b\r\n\r\n", "GET", false},
		{"bare LF", "GET /world.rss HTTP/1.1\n" + "Host: example.org\n\n", "GET", false},
		{"encoded path", "GET /world%2Erss HTTP/1.1\r\n" + h + "\r\n", "GET", false},
		{"encoded slash", "GET /articles%2Fx-1a2b3c4d.html HTTP/1.1\r\n" + h + "\r\n", "GET", false},
		{"dot segments", "GET /articles/../world.rss HTTP/1.1\r\n" + h + "\r\n", "GET", false},
		{"absolute form", "GET http://example.org/world.rss HTTP/1.1\r\n" + h + "\r\n", "GET", false},
		{"expect", "GET /world.rss HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n\r\n", "GET", false},
		{"chunked body", "GET /world.rss HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "GET", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := roundTrip(t, plain, tt.raw, tt.method)
			mu.Lock()
			before := handed
			mu.Unlock()
			got := roundTrip(t, fast, tt.raw, tt.method)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fast path differs from net/http (-net/http +fast):\n%s", diff)
			}
			mu.Lock()
			// net/http refuses a malformed request (400) before any
			// handler; the fast path never answers 400.
			viaNetHTTP := handed > before || got[0].Status == http.StatusBadRequest
			mu.Unlock()
			if tt.fast == viaNetHTTP {
				t.Errorf("answered by net/http: %v, want %v", viaNetHTTP, !tt.fast)
			}
		})
	}
}

// TestFastPathPipelining: several requests in one write on one connection,
// the fast path answering some and handing the connection over mid-way.
func TestFastPathPipelining(t *testing.T) {
	s := published(t)
	fast, plain := servePaths(t, s)
	lastMod := do(t, s.Handler(), "GET", "/world.rss", nil).Header.Get("Last-Modified")
	const h = "Host: example.org\r\n"
	raw := "GET /world.rss HTTP/1.1\r\n" + h + "If-None-Match: \"stale\"\r\n\r\n" +
		// Nothing of the previous request's validators may carry over.
		"GET /world.rss HTTP/1.1\r\n" + h + "If-Modified-Since: " + lastMod + "\r\n\r\n" +
		"GET /world.json HTTP/1.1\r\n" + h + "Accept-Encoding: gzip\r\n\r\n" +
		"GET /world.json HTTP/1.1\r\n" + h + "\r\n" +
		"HEAD /world.atom HTTP/1.1\r\n" + h + "Accept-Encoding: gzip\r\n\r\n" +
		"GET /healthz HTTP/1.1\r\n" + h + "\r\n" + // handed over here
		"GET /world.json HTTP/1.1\r\n" + h + "\r\n"
	methods := []string{"GET", "GET", "GET", "GET", "HEAD", "GET", "GET"}
	want := roundTrip(t, plain, raw, methods...)
	got := roundTrip(t, fast, raw, methods...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-net/http +fast):\n%s", diff)
	}
}

// TestFastPathTimeouts: a client that sends half a request head is cut off
// after the read-header timeout, and an idle one after the idle timeout.
func TestFastPathTimeouts(t *testing.T) {
	s := published(t)
	s.timeouts.readHeader, s.timeouts.idle = 100*time.Millisecond, 200*time.Millisecond
	fast, _ := servePaths(t, s)
	// A client trickling its head a byte at a time does not renew the
	// header timeout.
	trickle, err := net.Dial("tcp", fast)
	if err != nil {
		t.Fatal(err)
	}
	defer trickle.Close()
	start := time.Now()
	for i := 0; ; i++ {
		if _, err := trickle.Write([]byte{"GET /world.rss HTTP/1.1\r\nHost: example.org\r\nX-Slow: "[i%40]}); err != nil {
			break // the server closed the connection
		}
		if time.Since(start) > 3*time.Second {
			t.Fatal("a trickling client kept the connection for 3s with a 100ms header timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tc := range []struct{ name, raw string }{
		{"slow head", "GET /world.rss HTTP/1.1\r\nHost: x\r\n"},
		{"idle", ""},
	} {
		conn, err := net.Dial("tcp", fast)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, tc.raw)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		_, err = conn.Read(make([]byte, 1))
		if err != io.EOF {
			t.Errorf("%s: read = %v, want EOF from the server closing", tc.name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: closed after %v", tc.name, d)
		}
		conn.Close()
	}
}

// TestFastPathRace hammers the fast path over real connections while
// snapshots are swapped: every response is complete and matches its ETag.
func TestFastPathRace(t *testing.T) {
	s := published(t)
	fast, _ := servePaths(t, s)
	bodies := map[string]string{} // ETag → body
	var mu sync.Mutex
	record := func() {
		resp := do(t, s.Handler(), "GET", "/world.rss", nil)
		mu.Lock()
		bodies[resp.Header.Get("Etag")] = string(readBody(t, resp))
		mu.Unlock()
	}
	record()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Publish(Snapshot{Pages: testPages(strings.Repeat("v", i%5)), MaxAge: time.Minute})
			record()
		}
	})
	for range 4 {
		wg.Go(func() {
			tr := &http.Transport{DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			for range 100 {
				resp, err := client.Get("http://" + fast + "/world.rss")
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				want, ok := bodies[resp.Header.Get("Etag")]
				mu.Unlock()
				if ok && want != string(b) {
					t.Errorf("body does not match its ETag %s", resp.Header.Get("Etag"))
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
}

func FuzzParseFast(f *testing.F) {
	f.Add([]byte("GET /world.rss HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\"\r\n\r\n"))
	f.Add([]byte("HEAD / HTTP/1.1\r\nhost: x\r\nAccept-Encoding: gzip\r\n\r\nGET /a HTTP/1.1\r\n"))
	f.Add([]byte("GET /a%2f HTTP/1.1\r\nHost: x\n\r\n"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		var r fastRequest
		n, ok := parseFast(buf, &r)
		if n < 0 || n > len(buf) {
			t.Fatalf("n = %d for %d bytes", n, len(buf))
		}
		if ok && n > 0 {
			for _, c := range r.path {
				if c <= ' ' || c == '%' || c >= 0x7f {
					t.Fatalf("path %q accepted", r.path)
				}
			}
		}
	})
}
