package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldfeed/herald/feed"
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

// servePaths starts s with Serve (on the fast path unless s.noFastPath)
// and, for comparison, its handler on a plain http.Server, and returns both
// addresses.
func servePaths(t *testing.T, s *Server) (served, plain string) {
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

// bothPaths runs f once with the fast path and once with net/http alone
// (Options.NoFastPath), at once, each with a server of its own: the
// behaviour over the wire must not depend on it.
func bothPaths(t *testing.T, f func(t *testing.T, noFast bool)) {
	for _, noFast := range []bool{false, true} {
		name := "fast"
		if noFast {
			name = "nethttp"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, noFast)
		})
	}
}

// publishedServer is published with the fast path on or off.
func publishedServer(t *testing.T, noFast bool) *Server {
	t.Helper()
	s := newServer(t, Options{NoFastPath: noFast})
	s.Publish(Snapshot{Pages: testPages(""), MaxAge: 15 * time.Minute})
	return s
}

// TestFastPathMatchesNetHTTP sends the same requests to Serve and to
// net/http serving the same snapshot: status, headers and body must agree,
// whether the fast path answers or hands the connection over. With the
// fast path off, every request must reach net/http.
func TestFastPathMatchesNetHTTP(t *testing.T) {
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := publishedServer(t, noFast)
		// Count what reaches net/http on the served side, to prove the
		// fast path answered the cases it should (s.Handler, which the
		// plain server uses, is not wrapped).
		var mu sync.Mutex
		handed := 0
		next := s.handler
		s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			handed++
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
		served, plain := servePaths(t, s)
		for _, tt := range differentialCases(t, s) {
			t.Run(tt.name, func(t *testing.T) {
				want := roundTrip(t, plain, tt.raw, tt.method)
				mu.Lock()
				before := handed
				mu.Unlock()
				got := roundTrip(t, served, tt.raw, tt.method)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Serve differs from net/http (-net/http +Serve):\n%s", diff)
				}
				if tt.status != 0 && got[0].Status != tt.status {
					t.Errorf("status = %d, want %d", got[0].Status, tt.status)
				}
				mu.Lock()
				// net/http refuses a malformed request (400) before any
				// handler; the fast path never answers 400.
				viaNetHTTP := handed > before || got[0].Status == http.StatusBadRequest
				mu.Unlock()
				if wantNetHTTP := noFast || !tt.fast; viaNetHTTP != wantNetHTTP {
					t.Errorf("answered by net/http: %v, want %v", viaNetHTTP, wantNetHTTP)
				}
			})
		}
	})
}

type differentialCase struct {
	name, raw string
	method    string
	fast      bool // answered by the fast path, not handed to net/http
	status    int  // if not 0, the status both must answer
}

func differentialCases(t *testing.T, s *Server) []differentialCase {
	etag := do(t, s.Handler(), "GET", "/world.rss", nil).Header.Get("Etag")
	etagGz := do(t, s.Handler(), "GET", "/world.rss", map[string]string{"Accept-Encoding": "gzip"}).Header.Get("Etag")
	lastMod := do(t, s.Handler(), "GET", "/world.rss", nil).Header.Get("Last-Modified")
	const h = "Host: example.org\r\n"
	return []differentialCase{
		{"get", "GET /world.rss HTTP/1.1\r\n" + h + "\r\n", "GET", true, 200},
		{"head", "HEAD /world.rss HTTP/1.1\r\n" + h + "\r\n", "HEAD", true, 200},
		{"gzip", "GET /world.atom HTTP/1.1\r\n" + h + "Accept-Encoding: br, gzip;q=0.8\r\n\r\n", "GET", true, 200},
		{"gzip refused", "GET /world.atom HTTP/1.1\r\n" + h + "Accept-Encoding: gzip;q=0, identity\r\n\r\n", "GET", true, 200},
		{"head gzip", "HEAD /world.json HTTP/1.1\r\n" + h + "accept-encoding: GZIP\r\n\r\n", "HEAD", true, 200},
		{"index", "GET / HTTP/1.1\r\n" + h + "\r\n", "GET", true, 200},
		{"query ignored", "GET /world.rss?utm_source=reader HTTP/1.1\r\n" + h + "\r\n", "GET", true, 200},
		{"if-none-match", "GET /world.rss HTTP/1.1\r\n" + h + "If-None-Match: " + etag + "\r\n\r\n", "GET", true, 304},
		{"if-none-match gz tag", "GET /world.rss HTTP/1.1\r\n" + h + "Accept-Encoding: gzip\r\nIf-None-Match: W/" + etagGz + "\r\n\r\n", "GET", true, 304},
		{"if-none-match list", "GET /world.rss HTTP/1.1\r\n" + h + "If-None-Match: \"x\", " + etag + "\r\n\r\n", "GET", true, 304},
		{"if-none-match star", "HEAD /world.rss HTTP/1.1\r\n" + h + "If-None-Match: *\r\n\r\n", "HEAD", true, 304},
		{"if-none-match stale", "GET /world.rss HTTP/1.1\r\n" + h + "If-None-Match: \"old\"\r\nIf-Modified-Since: " + lastMod + "\r\n\r\n", "GET", true, 200},
		{"if-modified-since", "GET /world.rss HTTP/1.1\r\n" + h + "If-Modified-Since: " + lastMod + "\r\n\r\n", "GET", true, 304},
		{"if-modified-since old", "GET /world.rss HTTP/1.1\r\n" + h + "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\n", "GET", true, 200},
		{"if-modified-since garbage", "GET /world.rss HTTP/1.1\r\n" + h + "If-Modified-Since: yesterday\r\n\r\n", "GET", true, 200},
		{"keep-alive", "GET /world.rss HTTP/1.1\r\n" + h + "Connection: keep-alive\r\n\r\n", "GET", true, 200},
		{"content-length 0", "GET /world.rss HTTP/1.1\r\n" + h + "Content-Length: 0\r\n\r\n", "GET", true, 200},
		{"host with port", "GET /world.rss HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET", true, 200},
		{"empty host", "GET /world.rss HTTP/1.1\r\nHost:\r\n\r\n", "GET", true, 200},
		// Repeated slashes are merged, as nginx and Apache do.
		{"double slash", "GET //world.rss HTTP/1.1\r\n" + h + "\r\n", "GET", true, 200},
		{"inner double slash", "GET /articles//x-1a2b3c4d.html HTTP/1.1\r\n" + h + "\r\n", "GET", true, 200},
		{"slashes only", "GET /// HTTP/1.1\r\n" + h + "\r\n", "GET", true, 200},
		// A reader's Accept stays on the fast path; so does a browser's
		// for a page served alike to all.
		{"reader accept", "GET /world.rss HTTP/1.1\r\n" + h + "Accept: application/rss+xml, */*;q=0.1\r\n\r\n", "GET", true, 200},
		{"browser accept, index", "GET / HTTP/1.1\r\n" + h + "Accept: text/html,application/xml;q=0.9\r\n\r\n", "GET", true, 200},
		{"browser accept, json", "GET /world.json HTTP/1.1\r\n" + h + "Accept: text/html,*/*;q=0.8\r\n\r\n", "GET", true, 200},
		// Handed to net/http:
		// An Accept naming HTML, for a feed browsers may get as
		// application/xml (accept.go decides, on net/http).
		{"browser accept, rss", "GET /world.rss HTTP/1.1\r\n" + h + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\r\n", "GET", false, 200},
		{"browser accept, atom 304", "GET /world.atom HTTP/1.1\r\n" + h + "ACCEPT: TEXT/HTML\r\nIf-None-Match: *\r\n\r\n", "GET", false, 304},
		{"reader accepting html too", "GET /world.rss HTTP/1.1\r\n" + h + "Accept: application/rss+xml, text/html;q=0.1\r\n\r\n", "GET", false, 200},
		{"unknown path", "GET /nope.rss HTTP/1.1\r\n" + h + "\r\n", "GET", false, 404},
		{"favicon", "GET /favicon.ico HTTP/1.1\r\n" + h + "\r\n", "GET", false, 204},
		{"favicon head", "HEAD /favicon.ico HTTP/1.1\r\n" + h + "\r\n", "HEAD", false, 204},
		{"post", "POST /world.rss HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc", "POST", false, 405},
		{"healthz", "GET /healthz HTTP/1.1\r\n" + h + "\r\n", "GET", false, 0},
		{"connection close", "GET /world.rss HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n", "GET", false, 200},
		{"http/1.0", "GET /world.rss HTTP/1.0\r\n\r\n", "GET", false, 200},
		{"dot segments", "GET /articles/../world.rss HTTP/1.1\r\n" + h + "\r\n", "GET", false, 404},
		{"absolute form", "GET http://example.org/world.rss HTTP/1.1\r\n" + h + "\r\n", "GET", false, 200},
		{"encoded path", "GET /world%2Erss HTTP/1.1\r\n" + h + "\r\n", "GET", false, 200},
		{"encoded slash", "GET /articles%2Fx-1a2b3c4d.html HTTP/1.1\r\n" + h + "\r\n", "GET", false, 404},
		{"non-ascii query", "GET /world.rss?q=\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n", "GET", false, 0},
		{"expect", "GET /world.rss HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n\r\n", "GET", false, 0},
		{"chunked body", "GET /world.rss HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "GET", false, 0},
		// Refused by net/http with 400; the fast path must hand them
		// over rather than answer 200.
		{"no host", "GET /world.rss HTTP/1.1\r\n\r\n", "GET", false, 400},
		{"two hosts", "GET /world.rss HTTP/1.1\r\n" + h + h + "\r\n", "GET", false, 400},
		{"bad header name", "GET /world.rss HTTP/1.1\r\n" + h + "Bad Name: x\r\n\r\n", "GET", false, 400},
		{"control in value", "GET /world.rss HTTP/1.1\r\n" + h + "X-A: a\x01b\r\n\r\n", "GET", false, 400},
		{"line folding", "GET /world.rss HTTP/1.1\r\n" + h + "X-A: a\r\n b\r\n\r\n", "GET", false, 200},
		{"bare LF", "GET /world.rss HTTP/1.1\n" + "Host: example.org\n\n", "GET", false, 200},
		{"space in query", "GET /world.atom?a b HTTP/1.1\r\n" + h + "\r\n", "GET", false, 400},
		{"tab in query", "GET /world.atom?a\tb HTTP/1.1\r\n" + h + "\r\n", "GET", false, 400},
		{"NUL in query", "GET /world.atom?a\x00b HTTP/1.1\r\n" + h + "\r\n", "GET", false, 400},
		{"CR in query", "GET /world.atom?a\rb HTTP/1.1\r\n" + h + "\r\n", "GET", false, 400},
		{"DEL in query", "GET /world.atom?a\x7fb HTTP/1.1\r\n" + h + "\r\n", "GET", false, 400},
		{"host with space", "GET /world.rss HTTP/1.1\r\nHost: a b\r\n\r\n", "GET", false, 400},
		{"host with slash", "GET /world.rss HTTP/1.1\r\nHost: a/b\r\n\r\n", "GET", false, 400},
		{"host with userinfo", "GET /world.rss HTTP/1.1\r\nHost: evil@a\r\n\r\n", "GET", false, 400},
		{"host quoted", "GET /world.rss HTTP/1.1\r\nHost: \"x\"\r\n\r\n", "GET", false, 400},
		{"host non-ascii", "GET /world.rss HTTP/1.1\r\nHost: \xc3\xa9.example\r\n\r\n", "GET", false, 400},
		{"bare CR", "GET /world.rss HTTP/1.1\r\nHost: x\r\r\n\r\n", "GET", false, 400},
		// The head stops after a line net/http refuses as soon as it
		// reads it: it answers at once, and so must Serve (roundTrip
		// would otherwise wait for the 5 s header timeout and read no
		// response).
		{"no colon then silence", "GET /world.rss HTTP/1.1\r\nHost x\r\n", "GET", false, 400},
		{"leading space then silence", "GET /world.rss HTTP/1.1\r\n b\r\n", "GET", false, 400},
		{"bad request line then silence", "GET /a b c HTTP/1.1\r\n", "GET", false, 400},
		{"DEL in target then silence", "GET /world.rss?a\x7f HTTP/1.1\r\n", "GET", false, 400},
	}
}

// TestFastPathPipelining: several requests in one write on one connection,
// the fast path answering some and handing the connection over mid-way.
func TestFastPathPipelining(t *testing.T) {
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := publishedServer(t, noFast)
		served, plain := servePaths(t, s)
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
		got := roundTrip(t, served, raw, methods...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-net/http +Serve):\n%s", diff)
		}
		wantStatus := []int{200, 304, 200, 200, 200, 200, 200}
		for i, ex := range got {
			if ex.Status != wantStatus[i] {
				t.Errorf("response %d: status %d, want %d", i, ex.Status, wantStatus[i])
			}
		}
	})
}

// waitClosed reads from r (conn, or a reader on it) until the server
// closes conn and returns how long that took from start; a response or a
// reset fails the test.
func waitClosed(t *testing.T, conn net.Conn, r io.Reader, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	conn.SetReadDeadline(start.Add(limit))
	n, err := r.Read(make([]byte, 1))
	d := time.Since(start)
	if n > 0 || err != io.EOF {
		t.Fatalf("read = %d bytes, %v after %v; want EOF from the server closing within %v", n, err, d, limit)
	}
	return d
}

// TestServeTimeouts: clients that send nothing, half a head, or a head a
// byte at a time are cut off after the header timeout; a client idle
// after a request, after the idle timeout. The timeouts are shortened, and
// far apart, so the test tells which one applied.
func TestServeTimeouts(t *testing.T) {
	t.Parallel() // waits out timeouts, idle: beside the other such tests
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := publishedServer(t, noFast)
		s.timeouts.readHeader, s.timeouts.idle = 200*time.Millisecond, time.Minute
		served, _ := servePaths(t, s)
		t.Run("trickle", func(t *testing.T) {
			conn, err := net.Dial("tcp", served)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			// A client trickling its head a byte at a time does not renew
			// the header timeout.
			for i := 0; ; i++ {
				if _, err := conn.Write([]byte{"GET /world.rss HTTP/1.1\r\nHost: example.org\r\nX-Slow: "[i%40]}); err != nil {
					break // the server closed the connection
				}
				if time.Since(start) > 5*time.Second {
					t.Fatal("a trickling client kept the connection for 5s with a 200ms header timeout")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
		for _, tc := range []struct{ name, raw string }{
			// A connection that never sends anything gets the header
			// timeout, as under net/http, not the idle timeout.
			{"silent", ""},
			{"half a head", "GET /world.rss HTTP/1.1\r\nHost: x\r\n"},
			{"half a second head", "GET /world.rss HTTP/1.1\r\nHost: x\r\n\r\nGET /world.rss HTTP/1.1\r\n"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conn, err := net.Dial("tcp", served)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				start := time.Now()
				io.WriteString(conn, tc.raw)
				br := bufio.NewReader(conn)
				if strings.Count(tc.raw, "\r\n\r\n") == 1 {
					resp, err := http.ReadResponse(br, nil)
					if err != nil || resp.StatusCode != 200 {
						t.Fatalf("first response: %v, %v", resp, err)
					}
					io.Copy(io.Discard, resp.Body)
				}
				if d := waitClosed(t, conn, br, start, 5*time.Second); d < 150*time.Millisecond {
					t.Errorf("closed after %v, before the 200ms header timeout", d)
				}
			})
		}
		t.Run("idle after a request", func(t *testing.T) {
			conn, err := net.Dial("tcp", served)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			io.WriteString(conn, "GET /tiny.txt HTTP/1.1\r\nHost: x\r\n\r\n")
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("response: %v, %v", resp, err)
			}
			io.Copy(io.Discard, resp.Body)
			// The idle timeout (a minute) applies now, not the header
			// timeout.
			conn.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := br.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read on an idle connection = %v, want our own deadline to pass first", err)
			}
		})
	})
}

// TestServeIdleTimeout: between requests the idle timeout applies.
func TestServeIdleTimeout(t *testing.T) {
	t.Parallel() // waits out timeouts, idle: beside the other such tests
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := publishedServer(t, noFast)
		s.timeouts.readHeader, s.timeouts.idle = time.Minute, 200*time.Millisecond
		served, _ := servePaths(t, s)
		conn, err := net.Dial("tcp", served)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /tiny.txt HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("response: %v, %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		start := time.Now()
		conn.SetReadDeadline(start.Add(5 * time.Second))
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("read = %v, want EOF", err)
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Errorf("closed after %v, before the 200ms idle timeout", d)
		}
	})
}

// TestServeInvalidLineAtOnce: a head that stops after a line net/http
// refuses on reading it (no colon, a first field line starting with white
// space, a malformed request line) is answered 400 at once, not after the
// header timeout: the fast path hands the connection over at that line.
// Other unfinished heads end as under net/http alone: a bare CR in a value
// is answered 400 when the header timeout strikes, anything else is closed
// then without an answer.
func TestServeInvalidLineAtOnce(t *testing.T) {
	t.Parallel() // waits out timeouts, idle: beside the other such tests
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := publishedServer(t, noFast)
		// Long enough that "at once" (under half of it) holds on a loaded
		// machine under the race detector.
		const timeout = time.Second
		s.timeouts.readHeader = timeout
		served, _ := servePaths(t, s)
		for _, tc := range []struct {
			raw    string
			status int  // 0: closed without an answer
			atOnce bool // before the header timeout
		}{
			{"GET /world.rss HTTP/1.1\r\nHost x\r\n", 400, true},
			{"GET /world.rss HTTP/1.1\r\n b\r\n", 400, true},
			{"GET /world.rss?a\x7f HTTP/1.1\r\n", 400, true},
			{"GET /a b c HTTP/1.1\r\nHost: x\r\n", 400, true},
			{"GET /world.rss HTTP/1.1\r\nHost: x\r\r\n", 400, false},
			{"GET /world.rss HTTP/1.1\r\nHost: a b\r\n", 0, false},
			{"GET /world.rss HTTP/1.1\r\nHost: x\r\n", 0, false},
		} {
			conn, err := net.Dial("tcp", served)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			io.WriteString(conn, tc.raw)
			conn.SetReadDeadline(start.Add(5 * time.Second))
			got, err := io.ReadAll(conn)
			d := time.Since(start)
			conn.Close()
			if err != nil {
				t.Errorf("%q: %v after %v", tc.raw, err, d)
				continue
			}
			status := 0
			if len(got) > 0 {
				resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
				if err != nil {
					t.Errorf("%q: answer %q: %v", tc.raw, got, err)
					continue
				}
				status = resp.StatusCode
			}
			if status != tc.status {
				t.Errorf("%q: status %d (0: none), want %d", tc.raw, status, tc.status)
			}
			if atOnce := d < timeout/2; atOnce != tc.atOnce {
				t.Errorf("%q: ended after %v with a %v header timeout, want at once: %v", tc.raw, d, timeout, tc.atOnce)
			}
		}
	})
}

// TestServeHandoffKeepsDeadline: a head the fast path hands over part-way
// (at "Connection: close") must still be complete within the header
// timeout counted from the connection's start, as under net/http alone,
// not from the hand-off.
func TestServeHandoffKeepsDeadline(t *testing.T) {
	t.Parallel() // waits out timeouts, idle: beside the other such tests
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := publishedServer(t, noFast)
		const timeout = time.Second
		s.timeouts.readHeader = timeout
		served, _ := servePaths(t, s)
		conn, err := net.Dial("tcp", served)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		io.WriteString(conn, "GET /world.rss HTTP/1.1\r\nHost: x\r\n")
		time.Sleep(timeout * 8 / 10)
		io.WriteString(conn, "Connection: close\r\n")
		// A fresh header timeout after the hand-off would close at 1.8 s.
		if d := waitClosed(t, conn, conn, start, 5*time.Second); d > timeout*3/2 {
			t.Errorf("closed after %v with a %v header timeout", d, timeout)
		}
	})
}

// TestServeLargeBodyCleanClose: net/http answers a request whose large
// body it will not read (405), or whose head is too large (431), then
// half-closes (CloseWrite) and waits before closing, so the client reads
// the answer and then EOF, not a reset. The fast path's connection wrapper
// must let it.
func TestServeLargeBodyCleanClose(t *testing.T) {
	t.Parallel() // waits out timeouts, idle: beside the other such tests
	const size = 4 << 20
	for _, tc := range []struct {
		name   string
		head   string
		body   int
		status int
	}{
		{"body to a 405", fmt.Sprintf("POST /world.rss HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size), size, http.StatusMethodNotAllowed},
		{"head too large", "GET /world.rss HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 64<<10) + "\r\n\r\n", 0, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bothPaths(t, func(t *testing.T, noFast bool) {
				s := publishedServer(t, noFast)
				served, _ := servePaths(t, s)
				for i := range 3 {
					conn, err := net.Dial("tcp", served)
					if err != nil {
						t.Fatal(err)
					}
					var wg sync.WaitGroup
					wg.Go(func() {
						// Fails once the server closes; the answer is what
						// counts.
						io.WriteString(conn, tc.head)
						conn.Write(make([]byte, tc.body))
					})
					conn.SetReadDeadline(time.Now().Add(5 * time.Second))
					br := bufio.NewReader(conn)
					resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
					if err != nil {
						t.Fatalf("try %d: %v", i, err)
					}
					if _, err := io.ReadAll(resp.Body); err != nil || resp.StatusCode != tc.status {
						t.Fatalf("try %d: status %d, body error %v; want %d", i, resp.StatusCode, err, tc.status)
					}
					// The half-close comes with the answer; without it the
					// client sees nothing until net/http closes 500 ms
					// later, often with a reset that loses the answer.
					t0 := time.Now()
					if _, err := br.ReadByte(); err != io.EOF {
						t.Errorf("try %d: after the answer: %v, want EOF (a half-close, not a reset)", i, err)
					}
					if d := time.Since(t0); d > 250*time.Millisecond {
						t.Errorf("try %d: EOF %v after the answer, want it with the answer (CloseWrite)", i, d)
					}
					conn.Close()
					wg.Wait()
				}
			})
		})
	}
}

// TestReplayConn: the wrapper net/http gets replays the bytes read, then
// drops them; forwards CloseWrite; and moves read deadlines back by the
// time the request had been under way, until its first write.
func TestReplayConn(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	rec := &deadlineConn{Conn: server}
	c := &replayConn{Conn: rec, pending: []byte("abc"), shift: time.Second}
	p := make([]byte, 2)
	if n, _ := c.Read(p); string(p[:n]) != "ab" || c.pending == nil {
		t.Fatalf("first read %q", p[:n])
	}
	if n, _ := c.Read(p); string(p[:n]) != "c" || c.pending != nil {
		t.Fatalf("second read %q, pending %v: want c and the buffer dropped", p[:n], c.pending)
	}
	if err := c.CloseWrite(); err != nil || !rec.closedWrite {
		t.Errorf("CloseWrite = %v, forwarded %v", err, rec.closedWrite)
	}
	d := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	c.SetReadDeadline(d)
	c.SetReadDeadline(time.Time{})
	go io.Copy(io.Discard, client)
	c.Write([]byte("x"))
	c.SetReadDeadline(d)
	want := []time.Time{d.Add(-time.Second), {}, d}
	if diff := cmp.Diff(want, rec.deadlines); diff != "" {
		t.Errorf("deadlines (-want +got):\n%s", diff)
	}
}

// deadlineConn records read deadlines and CloseWrite.
type deadlineConn struct {
	net.Conn
	deadlines   []time.Time
	closedWrite bool
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	c.deadlines = append(c.deadlines, t)
	return nil
}

func (c *deadlineConn) CloseWrite() error { c.closedWrite = true; return nil }

// TestFastPathRace hammers Serve over real connections while snapshots are
// swapped: every response is a 200, complete, and matches its ETag.
func TestFastPathRace(t *testing.T) {
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := publishedServer(t, noFast)
		served, _ := servePaths(t, s)
		const seeds = 5
		bodies := map[string]string{} // ETag → body, for every version published
		for i := range seeds {
			s.Publish(Snapshot{Pages: testPages(strings.Repeat("v", i)), MaxAge: time.Minute})
			resp := do(t, s.Handler(), "GET", "/world.rss", nil)
			bodies[resp.Header.Get("Etag")] = string(readBody(t, resp))
		}
		if len(bodies) != seeds {
			t.Fatalf("%d distinct versions, want %d", len(bodies), seeds)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s.Publish(Snapshot{Pages: testPages(strings.Repeat("v", i%seeds)), MaxAge: time.Minute})
			}
		})
		const clients, each = 4, 100
		var checked atomic.Int64
		for range clients {
			wg.Go(func() {
				tr := &http.Transport{DisableCompression: true}
				defer tr.CloseIdleConnections()
				client := &http.Client{Transport: tr}
				for range each {
					resp, err := client.Get("http://" + served + "/world.rss")
					if err != nil {
						t.Error(err)
						return
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					want, ok := bodies[resp.Header.Get("Etag")]
					switch {
					case err != nil:
						t.Errorf("reading body: %v", err)
					case resp.StatusCode != http.StatusOK:
						t.Errorf("status %d, want 200", resp.StatusCode)
					case !ok:
						t.Errorf("ETag %q of no published version", resp.Header.Get("Etag"))
					case want != string(b):
						t.Errorf("body does not match its ETag %s", resp.Header.Get("Etag"))
					default:
						checked.Add(1)
					}
				}
			})
		}
		time.Sleep(300 * time.Millisecond)
		close(stop)
		wg.Wait()
		if n := checked.Load(); n != clients*each {
			t.Errorf("%d of %d responses checked good", n, clients*each)
		}
	})
}

// TestFastPathLargeBody: bodies large enough to be sent from a file
// (sendfile) arrive whole, pipelined too, while snapshots replacing them
// are published; replaced files are closed.
func TestFastPathLargeBody(t *testing.T) {
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := newServer(t, Options{NoFastPath: noFast})
		big := func(seed string) []feed.File {
			return []feed.File{{Path: "big.rss", MediaType: rssType, Body: fakeBody(seed, 3*sendfileMin), Modified: modified}}
		}
		s.Publish(Snapshot{Pages: big("a")})
		first := s.snap.Load().pages["big.rss"]
		if runtime.GOOS == "linux" && first.files[0] == nil {
			t.Fatal("no body file for a large body")
		}
		served, _ := servePaths(t, s)
		const h = "Host: x\r\n"
		raw := "GET /big.rss HTTP/1.1\r\n" + h + "\r\n" + "HEAD /big.rss HTTP/1.1\r\n" + h + "\r\n" +
			"GET /big.rss HTTP/1.1\r\n" + h + "Accept-Encoding: gzip\r\n\r\n" + "GET /big.rss HTTP/1.1\r\n" + h + "\r\n"
		got := roundTrip(t, served, raw, "GET", "HEAD", "GET", "GET")
		want := string(pageBodyOf(big("a")))
		if got[0].Body != want || got[3].Body != want || got[1].Body != "" {
			t.Errorf("bodies: %d, %d, %d bytes; want %d, 0, %d", len(got[0].Body), len(got[1].Body), len(got[3].Body), len(want), len(want))
		}
		if g := string(gunzip(t, []byte(got[2].Body))); g != want {
			t.Errorf("gzip body: %d bytes after gunzip, want %d", len(g), len(want))
		}

		versions := map[string]bool{}
		for _, seed := range []string{"a", "b", "c"} {
			versions[string(pageBodyOf(big(seed)))] = true
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s.Publish(Snapshot{Pages: big([]string{"a", "b", "c"}[i%3])})
				time.Sleep(time.Millisecond)
			}
		})
		for range 2 {
			wg.Go(func() {
				for range 20 {
					ex := roundTrip(t, served, "GET /big.rss HTTP/1.1\r\n"+h+"\r\n", "GET")
					if ex[0].Status != 200 || !versions[ex[0].Body] {
						t.Errorf("status %d, %d bytes not of a published version", ex[0].Status, len(ex[0].Body))
					}
				}
			})
		}
		time.Sleep(200 * time.Millisecond)
		close(stop)
		wg.Wait()
		if f := first.files[0]; f != nil {
			if _, err := f.Stat(); err == nil {
				t.Error("the replaced body's file is still open")
			}
		}
	})
}

func pageBodyOf(pages []feed.File) []byte { return pages[0].Body }

// TestServeWriteTimeout: a client that stops reading a large body is cut
// off after the write timeout, sendfile or not.
func TestServeWriteTimeout(t *testing.T) {
	t.Parallel() // waits out timeouts, idle: beside the other such tests
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := newServer(t, Options{NoFastPath: noFast})
		// Larger than what the kernel buffers between the two ends once the
		// client's receive buffer is fixed small (the test fails, not
		// passes, if it is not).
		body := bytes.Repeat([]byte("a"), 8<<20) // compresses fast
		s.Publish(Snapshot{Pages: []feed.File{{Path: "huge.bin", MediaType: "application/octet-stream", Body: body, Modified: modified}}})
		s.timeouts.write = 300 * time.Millisecond
		served, _ := servePaths(t, s)
		conn, err := net.Dial("tcp", served)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.(*net.TCPConn).SetReadBuffer(32 << 10); err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(700 * time.Millisecond) // not reading: the server's writes stall
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := io.Copy(io.Discard, conn)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection still open 5 s after a 300 ms write timeout (%d bytes read)", n)
		}
		if n >= int64(len(body)) {
			t.Errorf("read %d bytes: the whole body went out, the test proves nothing", n)
		}
	})
}

// TestCatchUp: a request whose If-None-Match names a page of a newer
// publication than the one served (a replica that switched first served
// it) has the server catch up (Options.CatchUp) before answering, and
// gets 304 with that version's validators rather than the older body;
// requests naming older or unknown versions do not wait.
func TestCatchUp(t *testing.T) {
	bothPaths(t, func(t *testing.T, noFast bool) {
		var s *Server
		var caught atomic.Int32
		page := func(gen int64, body string) Snapshot {
			return Snapshot{Stamped: true, Gen: gen, Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: []byte(body), Modified: modified, Gen: gen}}}
		}
		s = newServer(t, Options{NoFastPath: noFast, CatchUp: func(_ context.Context, gen int64) {
			caught.Add(1)
			if gen == 2 {
				s.Publish(page(2, "two"))
			}
		}})
		addr, _ := servePaths(t, s)
		s.Publish(page(1, "one"))
		oldTag, newTag := genETag(1, etagOf([]byte("one"))), genETag(2, etagOf([]byte("two")))
		get := func(inm string) exchange {
			raw := "GET /world.rss HTTP/1.1\r\nHost: x\r\n"
			if inm != "" {
				raw += "If-None-Match: " + inm + "\r\n"
			}
			return roundTrip(t, addr, raw+"\r\n", "GET")[0]
		}
		for _, tc := range []struct {
			name, inm string
			status    int
			etag      string
		}{
			{"no validator", "", 200, oldTag},
			{"the served version", oldTag, 304, oldTag},
			{"an unknown version", `"nope"`, 200, oldTag},
			{"an older publication", genETag(0, etagOf([]byte("zero"))), 200, oldTag},
		} {
			if got := get(tc.inm); got.Status != tc.status || got.Header.Get("Etag") != tc.etag {
				t.Errorf("%s: %d %s, want %d %s", tc.name, got.Status, got.Header.Get("Etag"), tc.status, tc.etag)
			}
		}
		if n := caught.Load(); n != 0 {
			t.Fatalf("caught up %d times for requests that named no newer publication", n)
		}
		if got := get(newTag); got.Status != 304 || got.Header.Get("Etag") != newTag {
			t.Errorf("the newer version: %d %s, want 304 %s", got.Status, got.Header.Get("Etag"), newTag)
		}
		if n := caught.Load(); n != 1 {
			t.Errorf("caught up %d times, want 1", n)
		}
		// A publication that does not exist: answered from what is served.
		if got := get(genETag(9, etagOf([]byte("nine")))); got.Status != 200 || got.Body != "two" {
			t.Errorf("a tag of no publication: %d %q, want 200 two", got.Status, got.Body)
		}
	})
}
