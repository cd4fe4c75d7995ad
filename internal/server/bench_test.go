package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldfeed/herald/feed"
)

// discardWriter is a reusable ResponseWriter, so the benchmarks measure the
// handler rather than httptest.ResponseRecorder.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

func benchServe(b *testing.B, hdr map[string]string, wantCode int) {
	s := newServer(b, Options{})
	page := feed.File{Path: "world.rss", MediaType: rssType, Body: fakeBody("bench", 120_000), Modified: modified}
	s.Publish(Snapshot{Pages: []feed.File{page}})
	r := httptest.NewRequest("GET", "/world.rss", nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := &discardWriter{h: make(http.Header, 8)}
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
	if w.code != wantCode {
		b.Fatalf("status = %d, want %d", w.code, wantCode)
	}
	b.SetBytes(int64(w.n / b.N))
}

func BenchmarkServe200(b *testing.B) {
	benchServe(b, nil, http.StatusOK)
}

func BenchmarkServeGzip(b *testing.B) {
	benchServe(b, map[string]string{"Accept-Encoding": "gzip, deflate, br"}, http.StatusOK)
}

func BenchmarkServe304(b *testing.B) {
	body := fakeBody("bench", 120_000)
	benchServe(b, map[string]string{
		"Accept-Encoding": "gzip",
		"If-None-Match":   gzipETag(etagOf(body)),
	}, http.StatusNotModified)
}

func BenchmarkServe304IfModifiedSince(b *testing.B) {
	benchServe(b, map[string]string{
		"If-Modified-Since": modified.Format(http.TimeFormat),
	}, http.StatusNotModified)
}

// BenchmarkPublish measures the per-snapshot cost the request path avoids:
// hashing and BestCompression of a ~120 KB feed.
func BenchmarkPublish(b *testing.B) {
	s := newServer(b, Options{})
	bodies := [][]byte{fakeBody("a", 120_000), fakeBody("b", 120_000)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		s.Publish(Snapshot{Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: bodies[i%2]}}})
	}
}

// BenchmarkParseFast parses the head a typical feed reader sends.
func BenchmarkParseFast(b *testing.B) {
	head := []byte("GET /world.rss HTTP/1.1\r\nHost: news.example.org\r\nUser-Agent: Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers)\r\n" +
		"Accept: application/rss+xml, application/atom+xml;q=0.9, */*;q=0.8\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"If-None-Match: \"2cf24dba5fb0a30e26e83b2ac5b9e29e-gz\"\r\nIf-Modified-Since: Mon, 02 Mar 2026 08:30:15 GMT\r\nConnection: keep-alive\r\n\r\n")
	var p fastParser
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		if n, ok := p.parse(head); n != len(head) || !ok {
			b.Fatalf("parse = %d, %v", n, ok)
		}
	}
}

// BenchmarkWire measures whole requests over loopback, client included, on
// the fast path and with net/http alone, for a ~120 KB feed: full,
// gzip and 304 responses. bench-serve.sh compares with nginx; this one
// needs nothing installed.
func BenchmarkWire(b *testing.B) {
	body := fakeBody("bench", 120_000)
	for _, bc := range []struct {
		name, hdr string
		status    int
	}{
		{"200", "", http.StatusOK},
		{"gzip", "Accept-Encoding: gzip\r\n", http.StatusOK},
		{"304", "Accept-Encoding: gzip\r\nIf-None-Match: " + gzipETag(etagOf(body)) + "\r\n", http.StatusNotModified},
	} {
		for _, noFast := range []bool{false, true} {
			name := bc.name + "/fast"
			if noFast {
				name = bc.name + "/nethttp"
			}
			b.Run(name, func(b *testing.B) {
				s := newServer(b, Options{NoFastPath: noFast})
				s.Publish(Snapshot{Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: body, Modified: modified}}})
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- s.Serve(ctx, ln) }()
				defer func() { cancel(); <-done }()
				conn, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				req := []byte("GET /world.rss HTTP/1.1\r\nHost: x\r\n" + bc.hdr + "\r\n")
				br := bufio.NewReaderSize(conn, 64<<10)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := conn.Write(req); err != nil {
						b.Fatal(err)
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						b.Fatal(err)
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != bc.status {
						b.Fatalf("status %d, want %d", resp.StatusCode, bc.status)
					}
					b.SetBytes(n)
				}
			})
		}
	}
}
