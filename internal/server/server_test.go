package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldfeed/herald/feed"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	rssType  = "application/rss+xml; charset=utf-8"
	atomType = "application/atom+xml; charset=utf-8"
	jsonType = "application/feed+json; charset=utf-8"
	htmlType = "text/html; charset=utf-8"
)

var (
	t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// modified is the publisher's time for the test pages, with a fraction
	// that Last-Modified must drop.
	modified = time.Date(2026, 2, 27, 8, 30, 15, 500_000_000, time.UTC)
)

// fakeBody returns a compressible feed-like body of about n bytes; seed
// makes bodies differ.
func fakeBody(seed string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>`)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<item><title>%s item %d</title><description>Lorem ipsum dolor sit amet, consectetur adipiscing elit %d.</description></item>\n", seed, i, i*7919%1000)
	}
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

func testPages(seed string) []feed.File {
	return []feed.File{
		{Path: "world.rss", MediaType: rssType, Body: fakeBody("rss"+seed, 4000), Modified: modified},
		{Path: "world.atom", MediaType: atomType, Body: fakeBody("atom"+seed, 4000), Modified: modified},
		{Path: "world.json", MediaType: jsonType, Body: fakeBody("json"+seed, 4000), Modified: modified},
		{Path: "index.html", MediaType: htmlType, Body: fakeBody("index"+seed, 2000), Modified: modified},
		{Path: "articles/x-1a2b3c4d.html", MediaType: htmlType, Body: fakeBody("article"+seed, 2000), Modified: modified},
		{Path: "tiny.txt", MediaType: "text/plain; charset=utf-8", Body: []byte("hi"), Modified: modified},
	}
}

// clock is a settable Now.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.t.Store(&t) }
func (c *clock) now() time.Time   { return *c.t.Load() }

func newServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = newClock(t0).now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func published(t testing.TB) *Server {
	t.Helper()
	s := newServer(t, Options{})
	s.Publish(Snapshot{Pages: testPages(""), MaxAge: 15 * time.Minute})
	return s
}

// do runs one request through the handler.
func do(t testing.TB, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	// As a local client sends it: the operator handler refuses other
	// hosts (admin.go), httptest's example.com among them.
	r.Host = "127.0.0.1:9090"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func readBody(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return b
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip reader: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func pageBody(t testing.TB, path string) []byte {
	t.Helper()
	for _, p := range testPages("") {
		if p.Path == path {
			return p.Body
		}
	}
	t.Fatalf("no test page %q", path)
	return nil
}

// pagePolicyHdr is the header policy of HTML pages under the default
// Options.PagePolicy.
const pagePolicyHdr = defaultPagePolicy + "; frame-ancestors 'none'"

func TestContentTypeAndHeaders(t *testing.T) {
	s := published(t)
	lm := modified.Truncate(time.Second).Format(http.TimeFormat)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	const reader = "application/rss+xml, application/atom+xml;q=0.9, text/html;q=0.5, */*;q=0.1"
	for _, tc := range []struct {
		target, path, ctype string
		accept, vary        string // Accept sent; Vary wanted
		csp                 string
	}{
		{"/world.rss", "world.rss", rssType, "", "Accept, Accept-Encoding, Sec-Fetch-Dest", docPolicy},
		{"/world.atom", "world.atom", atomType, "", "Accept, Accept-Encoding, Sec-Fetch-Dest", docPolicy},
		{"/world.json", "world.json", jsonType, "", "Accept-Encoding", docPolicy},
		{"/", "index.html", htmlType, "", "Accept-Encoding", pagePolicyHdr},
		{"/index.html", "index.html", htmlType, browser, "Accept-Encoding", pagePolicyHdr},
		{"/articles/x-1a2b3c4d.html", "articles/x-1a2b3c4d.html", htmlType, "", "Accept-Encoding", pagePolicyHdr},
		// A browser gets RSS and Atom as application/xml, so it applies
		// their stylesheet; a reader, even one accepting HTML, the feed's
		// own type. Same bytes either way.
		{"/world.rss", "world.rss", "application/xml; charset=utf-8", browser, "Accept, Accept-Encoding, Sec-Fetch-Dest", docPolicy},
		{"/world.atom", "world.atom", "application/xml; charset=utf-8", browser, "Accept, Accept-Encoding, Sec-Fetch-Dest", docPolicy},
		{"/world.rss", "world.rss", rssType, reader, "Accept, Accept-Encoding, Sec-Fetch-Dest", docPolicy},
		{"/world.json", "world.json", jsonType, browser, "Accept-Encoding", docPolicy},
	} {
		t.Run(tc.target+" "+tc.accept, func(t *testing.T) {
			var hdr map[string]string
			if tc.accept != "" {
				hdr = map[string]string{"Accept": tc.accept}
			}
			resp := do(t, s.Handler(), "GET", tc.target, hdr)
			body := readBody(t, resp)
			want := pageBody(t, tc.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body differs from the published page (%d bytes, want %d)", len(body), len(want))
			}
			wantHdr := http.Header{
				"Content-Type":   {tc.ctype},
				"Content-Length": {fmt.Sprint(len(want))},
				"Etag":           {etagOf(want)},
				"Last-Modified":  {lm},
				"Cache-Control":  {"public, max-age=900"},
				"Vary":           {tc.vary},
				// security.go
				"Content-Security-Policy": {tc.csp},
				"Referrer-Policy":         {"no-referrer"},
				"X-Content-Type-Options":  {"nosniff"},
			}
			if diff := cmp.Diff(wantHdr, resp.Header); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestETagFormat(t *testing.T) {
	tag := etagOf([]byte("hello"))
	// sha256("hello") starts 2cf24dba5fb0a30e26e83b2ac5b9e29e.
	if want := `"2cf24dba5fb0a30e26e83b2ac5b9e29e"`; tag != want {
		t.Errorf("etagOf = %s, want %s", tag, want)
	}
	if got, want := gzipETag(tag), `"2cf24dba5fb0a30e26e83b2ac5b9e29e-gz"`; got != want {
		t.Errorf("gzipETag = %s, want %s", got, want)
	}
}

func TestConditional(t *testing.T) {
	s := published(t)
	body := pageBody(t, "world.rss")
	tag := etagOf(body)
	gzTag := gzipETag(tag)
	lmTime := modified.Truncate(time.Second)
	lm := lmTime.Format(http.TimeFormat)
	before := lmTime.Add(-time.Second).Format(http.TimeFormat)
	after := lmTime.Add(time.Hour).Format(http.TimeFormat)

	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"no validators", nil, 200},
		{"INM match", map[string]string{"If-None-Match": tag}, 304},
		{"INM match gzip tag", map[string]string{"If-None-Match": gzTag}, 304},
		{"INM mismatch", map[string]string{"If-None-Match": `"0123456789abcdef"`}, 200},
		{"INM list with match", map[string]string{"If-None-Match": `"aaa", ` + tag + ` ,"bbb"`}, 304},
		{"INM list without match", map[string]string{"If-None-Match": `"aaa", "bbb"`}, 200},
		{"INM weak match", map[string]string{"If-None-Match": "W/" + tag}, 304},
		{"INM weak in list", map[string]string{"If-None-Match": `W/"x",W/` + gzTag}, 304},
		{"INM star", map[string]string{"If-None-Match": "*"}, 304},
		{"INM unquoted", map[string]string{"If-None-Match": strings.Trim(tag, `"`)}, 200},
		{"INM unterminated", map[string]string{"If-None-Match": tag[:10]}, 200},
		{"INM empty", map[string]string{"If-None-Match": ""}, 200},
		{"INM prefix of tag", map[string]string{"If-None-Match": tag[:len(tag)-2] + `"`}, 200},
		{"IMS before", map[string]string{"If-Modified-Since": before}, 200},
		{"IMS equal", map[string]string{"If-Modified-Since": lm}, 304},
		{"IMS after", map[string]string{"If-Modified-Since": after}, 304},
		{"IMS equal RFC 850", map[string]string{"If-Modified-Since": lmTime.Format(time.RFC850)}, 304},
		{"IMS equal asctime", map[string]string{"If-Modified-Since": lmTime.Format(time.ANSIC)}, 304},
		{"IMS malformed", map[string]string{"If-Modified-Since": "yesterday"}, 200},
		{"INM mismatch beats IMS after", map[string]string{"If-None-Match": `"nope"`, "If-Modified-Since": after}, 200},
		{"INM match beats IMS before", map[string]string{"If-None-Match": tag, "If-Modified-Since": before}, 304},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				resp := do(t, s.Handler(), method, "/world.rss", tc.hdr)
				got := readBody(t, resp)
				if resp.StatusCode != tc.want {
					t.Fatalf("%s status = %d, want %d", method, resp.StatusCode, tc.want)
				}
				if tc.want == 304 {
					if len(got) != 0 {
						t.Errorf("%s 304 has a %d-byte body", method, len(got))
					}
					wantHdr := http.Header{
						"Etag":          {tag},
						"Last-Modified": {lm},
						"Cache-Control": {"public, max-age=900"},
						"Vary":          {"Accept, Accept-Encoding, Sec-Fetch-Dest"},
						// On every response (security.go).
						"X-Content-Type-Options": {"nosniff"},
					}
					if diff := cmp.Diff(wantHdr, resp.Header); diff != "" {
						t.Errorf("%s 304 headers (-want +got):\n%s", method, diff)
					}
				} else if method == "GET" && !bytes.Equal(got, body) {
					t.Errorf("GET body differs from the page")
				}
			}
		})
	}
}

func TestConditionalGzipETag(t *testing.T) {
	// A 304 to a gzip-accepting client carries the ETag of the gzip
	// representation, the one it would have been sent.
	s := published(t)
	tag := etagOf(pageBody(t, "world.rss"))
	resp := do(t, s.Handler(), "GET", "/world.rss", map[string]string{
		"If-None-Match": tag, "Accept-Encoding": "gzip",
	})
	if resp.StatusCode != 304 {
		t.Fatalf("status = %d, want 304", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Etag"), gzipETag(tag); got != want {
		t.Errorf("ETag = %s, want %s", got, want)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("304 has Content-Encoding %q", ce)
	}
}

func TestGzip(t *testing.T) {
	s := published(t)
	body := pageBody(t, "world.rss")
	for _, tc := range []struct {
		ae   string
		gzip bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;Q=0", false},
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"*, gzip;q=0", false},
		{"identity", false},
		{"deflate, br", false},
		{"gzipx", false},
		{"gzip;q=0.5", true},
		{"gzip;q=bogus", true},
	} {
		t.Run(fmt.Sprintf("%q", tc.ae), func(t *testing.T) {
			hdr := map[string]string{}
			if tc.ae != "" {
				hdr["Accept-Encoding"] = tc.ae
			}
			resp := do(t, s.Handler(), "GET", "/world.rss", hdr)
			got := readBody(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			if got, want := resp.Header.Get("Content-Length"), fmt.Sprint(len(got)); got != want {
				t.Errorf("Content-Length = %s, body is %s bytes", got, want)
			}
			if resp.Header.Get("Vary") != "Accept, Accept-Encoding, Sec-Fetch-Dest" {
				t.Errorf("Vary = %q", resp.Header.Get("Vary"))
			}
			if !tc.gzip {
				if ce := resp.Header.Get("Content-Encoding"); ce != "" {
					t.Errorf("Content-Encoding = %q, want none", ce)
				}
				if !bytes.Equal(got, body) {
					t.Errorf("identity body differs")
				}
				if resp.Header.Get("Etag") != etagOf(body) {
					t.Errorf("ETag = %s, want identity tag", resp.Header.Get("Etag"))
				}
				return
			}
			if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
				t.Fatalf("Content-Encoding = %q, want gzip", ce)
			}
			if len(got) >= len(body) {
				t.Errorf("gzip body %d bytes is not smaller than %d", len(got), len(body))
			}
			if !bytes.Equal(gunzip(t, got), body) {
				t.Errorf("gunzipped body differs")
			}
			if want := gzipETag(etagOf(body)); resp.Header.Get("Etag") != want {
				t.Errorf("ETag = %s, want %s", resp.Header.Get("Etag"), want)
			}
		})
	}
}

func TestGzipNotSmaller(t *testing.T) {
	s := published(t)
	resp := do(t, s.Handler(), "GET", "/tiny.txt", map[string]string{"Accept-Encoding": "gzip"})
	if got := readBody(t, resp); string(got) != "hi" {
		t.Errorf("body = %q, want identity %q", got, "hi")
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding = %q for a body gzip cannot shrink", ce)
	}
}

func TestHead(t *testing.T) {
	s := published(t)
	for _, ae := range []string{"", "gzip"} {
		t.Run("ae="+ae, func(t *testing.T) {
			hdr := map[string]string{"Accept-Encoding": ae}
			get := do(t, s.Handler(), "GET", "/world.atom", hdr)
			head := do(t, s.Handler(), "HEAD", "/world.atom", hdr)
			if head.StatusCode != 200 {
				t.Fatalf("HEAD status = %d", head.StatusCode)
			}
			if diff := cmp.Diff(get.Header, head.Header); diff != "" {
				t.Errorf("HEAD headers differ from GET (-get +head):\n%s", diff)
			}
			if head.Header.Get("Content-Length") == "" {
				t.Errorf("HEAD has no Content-Length")
			}
			if b := readBody(t, head); len(b) != 0 {
				t.Errorf("HEAD body is %d bytes", len(b))
			}
		})
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	s := published(t)
	for _, tc := range []struct {
		method, target string
		want           int
	}{
		{"GET", "/nope.rss", 404},
		{"HEAD", "/nope.rss", 404},
		{"GET", "/articles/", 404},
		{"GET", "/articles", 404},
		{"GET", "/world.rss/", 404},
		{"GET", "/World.rss", 404},
		{"POST", "/nope.rss", 404},
		{"POST", "/world.rss", 405},
		{"PUT", "/", 405},
		{"DELETE", "/world.json", 405},
		{"OPTIONS", "/world.atom", 405},
		{"POST", "/healthz", 405},
		{"PATCH", "/metrics", 404}, // an operator endpoint: not on the public listener
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			resp := do(t, s.Handler(), tc.method, tc.target, nil)
			body := readBody(t, resp)
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			wantAllow := ""
			if tc.want == 405 {
				wantAllow = "GET, HEAD"
			}
			if got := resp.Header.Get("Allow"); got != wantAllow {
				t.Errorf("Allow = %q, want %q", got, wantAllow)
			}
			wantBody := fmt.Sprintf("%d %s\n", tc.want, strings.ToLower(http.StatusText(tc.want)))
			if tc.method == "HEAD" {
				wantBody = ""
			}
			if string(body) != wantBody {
				t.Errorf("body = %q, want %q", body, wantBody)
			}
		})
	}
}

// rawGet sends a request line verbatim over TCP, so no client cleans the
// path first.
func rawGet(t *testing.T, addr, target string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	defer resp.Body.Close()
	return resp, readBody(t, resp)
}

func TestPathEscapes(t *testing.T) {
	s := published(t)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	addr := ts.Listener.Addr().String()

	if resp, _ := rawGet(t, addr, "/articles/x-1a2b3c4d.html"); resp.StatusCode != 200 {
		t.Fatalf("control request status = %d", resp.StatusCode)
	}
	// Repeated slashes are merged, as nginx and Apache do by default.
	for _, target := range []string{"//world.rss", "/articles//x-1a2b3c4d.html", "///articles///x-1a2b3c4d.html"} {
		if resp, _ := rawGet(t, addr, target); resp.StatusCode != 200 {
			t.Errorf("%s: status = %d, want 200", target, resp.StatusCode)
		}
	}
	for _, target := range []string{
		"/../world.rss",
		"/./world.rss",
		"/articles/../world.rss",
		"/world.rss/",
		"/articles/x-1a2b3c4d.html/",
		"/articles%2Fx-1a2b3c4d.html",
		"/articles%2fx-1a2b3c4d.html",
		"/%2e%2e/world.rss",
		"/..%2Fworld.rss",
		"/articles/x-1a2b3c4d.html%00",
		"/etc/passwd",
		"/../../../../etc/passwd",
		"/internal/server/server.go",
	} {
		t.Run(target, func(t *testing.T) {
			resp, body := rawGet(t, addr, target)
			// The server may reject the request line outright (400); what
			// it must never do is serve some page for it.
			if resp.StatusCode != 404 && resp.StatusCode != 400 {
				t.Errorf("status = %d, want 404 (or 400); body %.60q", resp.StatusCode, body)
			}
		})
	}
}

func TestLastModified(t *testing.T) {
	clk := newClock(t0)
	s := newServer(t, Options{Now: clk.now})
	get := func() (etag, lm string) {
		resp := do(t, s.Handler(), "GET", "/world.rss", nil)
		return resp.Header.Get("Etag"), resp.Header.Get("Last-Modified")
	}
	publish := func(body string, mod time.Time) {
		s.Publish(Snapshot{Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: []byte(body), Modified: mod}}})
	}
	f := func(t time.Time) string { return t.Truncate(time.Second).Format(http.TimeFormat) }

	// 1. First publish: the publisher's time, truncated.
	publish("one", modified)
	tag1, lm1 := get()
	if want := f(modified); lm1 != want {
		t.Fatalf("first publish: Last-Modified = %s, want %s", lm1, want)
	}

	// 2. Same bytes, a later publisher time (re-rendered): nothing moves.
	clk.set(t0.Add(time.Hour))
	publish("one", modified.Add(30*time.Minute))
	if tag, lm := get(); tag != tag1 || lm != lm1 {
		t.Errorf("same body: ETag/Last-Modified = %s %s, want unchanged %s %s", tag, lm, tag1, lm1)
	}

	// 3. Changed bytes with a newer publisher time: that time.
	clk.set(t0.Add(2 * time.Hour))
	newer := modified.Add(24 * time.Hour)
	publish("two", newer)
	tag3, lm3 := get()
	if lm3 != f(newer) {
		t.Errorf("changed body, newer Modified: Last-Modified = %s, want %s", lm3, f(newer))
	}
	if tag3 == tag1 {
		t.Errorf("changed body kept ETag %s", tag3)
	}

	// 4. Changed bytes with an older publisher time (an edit that kept the
	// article date): the current time, so Last-Modified still moves on.
	clk.set(t0.Add(3*time.Hour + 400*time.Millisecond))
	publish("three", modified)
	if _, lm := get(); lm != f(t0.Add(3*time.Hour)) {
		t.Errorf("changed body, older Modified: Last-Modified = %s, want %s", lm, f(t0.Add(3*time.Hour)))
	}
}

func TestLastModifiedRule(t *testing.T) {
	sec := time.Second
	for _, tc := range []struct {
		name                string
		modified, prev, now time.Time
		want                time.Time
	}{
		{"new page, no time", time.Time{}, time.Time{}, t0.Add(300 * time.Millisecond), t0},
		{"new page with time", modified, time.Time{}, t0, modified.Truncate(sec)},
		{"newer than prev", t0.Add(-sec), t0.Add(-time.Hour), t0, t0.Add(-sec)},
		{"older than prev", t0.Add(-2 * time.Hour), t0.Add(-time.Hour), t0, t0},
		{"equal to prev", t0.Add(-time.Hour), t0.Add(-time.Hour), t0, t0},
		{"in the future", t0.Add(time.Hour), t0.Add(-time.Hour), t0, t0},
		{"same second as prev", time.Time{}, t0, t0.Add(500 * time.Millisecond), t0.Add(sec)},
		{"clock behind prev", time.Time{}, t0, t0.Add(-time.Minute), t0.Add(sec)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LastModified(tc.modified, tc.prev, tc.now)
			if !got.Equal(tc.want) {
				t.Errorf("lastModified = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPublishSkipsBadPaths(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.Publish(Snapshot{Pages: []feed.File{
		{Path: "ok.rss", MediaType: rssType, Body: []byte("first")},
		{Path: "ok.rss", MediaType: rssType, Body: []byte("duplicate")},
		{Path: "/abs.rss", Body: []byte("x")},
		{Path: "../up.rss", Body: []byte("x")},
		{Path: "a/../b.rss", Body: []byte("x")},
		{Path: "dir/", Body: []byte("x")},
		{Path: "", Body: []byte("x")},
		// Every path of routes, which the fast path would otherwise
		// answer as a page.
		{Path: "healthz", Body: []byte("x")},
		{Path: "metrics", Body: []byte("x")},
		{Path: "status", Body: []byte("x")},
	}})
	if got := string(readBody(t, do(t, s.Handler(), "GET", "/ok.rss", nil))); got != "first" {
		t.Errorf("ok.rss = %q, want the first of the duplicates", got)
	}
	if n := len(s.snap.Load().pages); n != 1 {
		t.Errorf("published %d pages, want 1", n)
	}
	if got := strings.Count(logs.String(), "skipping page"); got != 9 {
		t.Errorf("logged %d skipped pages, want 9:\n%s", got, logs.String())
	}
}

func TestPublishCopiesBody(t *testing.T) {
	s := published(t)
	buf := []byte("original")
	s.Publish(Snapshot{Pages: []feed.File{{Path: "a.txt", MediaType: "text/plain", Body: buf}}})
	copy(buf, "mutated!")
	if got := string(readBody(t, do(t, s.Handler(), "GET", "/a.txt", nil))); got != "original" {
		t.Errorf("body = %q after the caller reused its buffer", got)
	}
}

func TestBeforePublish(t *testing.T) {
	s := newServer(t, Options{})
	for _, target := range []string{"/world.rss", "/", "/nope"} {
		resp := do(t, s.Handler(), "GET", target, nil)
		if resp.StatusCode != 503 {
			t.Errorf("GET %s status = %d, want 503", target, resp.StatusCode)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s has no Retry-After", target)
		}
	}
	if resp := do(t, s.Handler(), "POST", "/world.rss", nil); resp.StatusCode != 405 {
		t.Errorf("POST status = %d, want 405", resp.StatusCode)
	}
	if resp := do(t, s.Handler(), "GET", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("healthz status = %d, want 200", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	status := []SourceStatus{
		{Name: "blog", LastRun: t0, LastSuccess: t0, Items: 12},
		{Name: "upstream", LastRun: t0, LastFailure: t0, LastError: "fetching: 502", Running: true},
	}
	s := newServer(t, Options{Status: func() []SourceStatus { return status }, Version: "1.2.3"})
	s.Publish(Snapshot{Pages: testPages("")})

	resp := do(t, s.AdminHandler(), "GET", "/healthz", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(readBody(t, resp), &got); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	ts := t0.Format(time.RFC3339)
	want := map[string]any{
		"status": "degraded", "version": "1.2.3", "published": true, "pages": float64(len(testPages(""))),
		"sources": []any{
			map[string]any{"name": "blog", "last_run": ts, "last_success": ts, "items": float64(12), "running": false},
			map[string]any{"name": "upstream", "last_run": ts, "last_failure": ts, "last_error": "fetching: 502", "items": float64(0), "running": true},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("healthz (-want +got):\n%s", diff)
	}

	head := do(t, s.AdminHandler(), "HEAD", "/healthz", nil)
	if head.StatusCode != 200 || len(readBody(t, head)) != 0 {
		t.Errorf("HEAD /healthz: status %d with a body", head.StatusCode)
	}

	// Once the failing source recovers, "ok" again.
	status[1].LastError = ""
	if body := string(readBody(t, do(t, s.AdminHandler(), "GET", "/healthz", nil))); !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("healthz with every source fine: %s", body)
	}
}

// TestOperatorEndpoints: the public listener answers /healthz with no
// detail and has no /metrics; the admin handler has both, and so has the
// public listener for a request with the admin token, and only then.
func TestOperatorEndpoints(t *testing.T) {
	const token = "0123456789abcdef-token"
	status := func() []SourceStatus {
		return []SourceStatus{{Name: "paid", LastError: "source paid: http://***@feeds.example/x: refused"}}
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	for _, tc := range []struct {
		name    string
		token   string // Options.AdminToken
		admin   bool   // ask the admin handler rather than the public one
		headers map[string]string
		path    string
		code    int
		detail  bool // the body names the source
	}{
		{"public health", "", false, nil, "/healthz", 200, false},
		{"public metrics", "", false, nil, "/metrics", 404, false},
		{"public health, token unset, header sent", "", false, bearer(""), "/healthz", 200, false},
		{"public health, token configured, none sent", token, false, nil, "/healthz", 200, false},
		{"public health, wrong token", token, false, bearer(token + "x"), "/healthz", 200, false},
		{"public health with token", token, false, bearer(token), "/healthz", 200, true},
		{"public metrics, no token sent", token, false, nil, "/metrics", 401, false},
		{"public metrics, wrong token", token, false, bearer("nope"), "/metrics", 401, false},
		{"public metrics with token", token, false, bearer(token), "/metrics", 200, false},
		{"admin health", "", true, nil, "/healthz", 200, true},
		{"admin metrics", "", true, nil, "/metrics", 200, false},
		{"admin has no pages", "", true, nil, "/world.rss", 404, false},
		{"public status", "", false, nil, "/status", 404, false},
		{"public status, no token sent", token, false, nil, "/status", 401, false},
		{"public status with token", token, false, bearer(token), "/status", 200, true},
		{"admin status", "", true, nil, "/status", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{Status: status, AdminToken: tc.token})
			s.Publish(Snapshot{Pages: testPages("")})
			h := s.Handler()
			if tc.admin {
				h = s.AdminHandler()
			}
			resp := do(t, h, "GET", tc.path, tc.headers)
			body := string(readBody(t, resp))
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.code)
			}
			if got := strings.Contains(body, "paid"); got != tc.detail {
				t.Errorf("body names the source: %v, want %v:\n%s", got, tc.detail, body)
			}
			if tc.code == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.path == "/healthz" && !tc.detail && body != `{"status":"ok"}`+"\n" {
				t.Errorf("public health body %q", body)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newServer(t, Options{Registry: reg})
	do(t, s.Handler(), "GET", "/world.rss", nil) // 503
	s.Publish(Snapshot{Pages: testPages("")})
	for range 3 {
		do(t, s.Handler(), "GET", "/world.rss", nil)
	}
	do(t, s.Handler(), "GET", "/world.rss", map[string]string{"If-None-Match": "*"})
	do(t, s.Handler(), "GET", "/missing", nil)
	do(t, s.Handler(), "POST", "/world.rss", nil)

	resp := do(t, s.AdminHandler(), "GET", "/metrics", nil)
	body := string(readBody(t, resp))
	for _, want := range []string{
		`herald_http_requests_total{code="200"} 3`,
		`herald_http_requests_total{code="304"} 1`,
		`herald_http_requests_total{code="404"} 1`,
		`herald_http_requests_total{code="405"} 1`,
		`herald_http_requests_total{code="503"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	// A second server on the same registry shares the counter.
	if _, err := New(Options{Registry: reg}); err != nil {
		t.Errorf("second New on the same registry: %v", err)
	}
}

// TestConcurrentPublish hammers the server from several goroutines while
// another publishes different snapshots; run with -race. Every response
// must be complete and match its own ETag.
func TestConcurrentPublish(t *testing.T) {
	s := newServer(t, Options{})
	bodies := map[string][]byte{}
	var snaps []Snapshot
	for i := range 4 {
		seed := fmt.Sprint(i)
		b := fakeBody(seed, 20_000+i*3000)
		bodies[etagOf(b)] = b
		snaps = append(snaps, Snapshot{Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: b, Modified: modified}}})
	}
	s.Publish(snaps[0])
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	client := ts.Client()
	client.Transport.(*http.Transport).DisableCompression = true

	stop := make(chan struct{})
	var pubs sync.WaitGroup
	pubs.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Publish(snaps[i%len(snaps)])
		}
	})

	var wg sync.WaitGroup
	var checked atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 60 {
				req, _ := http.NewRequest("GET", ts.URL+"/world.rss", nil)
				if (g+i)%2 == 0 {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("request: %v", err)
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("status %d, read error %v", resp.StatusCode, err)
					return
				}
				tag := resp.Header.Get("Etag")
				if resp.Header.Get("Content-Encoding") == "gzip" {
					if !strings.HasSuffix(tag, `-gz"`) {
						t.Errorf("gzip response with ETag %s", tag)
						return
					}
					tag = strings.TrimSuffix(tag, `-gz"`) + `"`
					got = gunzip(t, got)
				}
				want, ok := bodies[tag]
				if !ok || !bytes.Equal(got, want) {
					t.Errorf("body (%d bytes) does not match ETag %s", len(got), tag)
					return
				}
				checked.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	pubs.Wait()
	if n := checked.Load(); n != 8*60 {
		t.Errorf("checked %d responses, want %d", n, 8*60)
	}
}

func TestServeShutdown(t *testing.T) {
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := newServer(t, Options{NoFastPath: noFast})
		s.Publish(Snapshot{Pages: testPages(""), MaxAge: 15 * time.Minute})
		entered := make(chan struct{})
		release := make(chan struct{})
		next := s.handler
		s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/world.rss" {
				close(entered)
				<-release
			}
			next.ServeHTTP(w, r)
		})

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ctx, cancel := context.WithCancel(t.Context())
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, ln) }()

		// A fast request works.
		if resp, _ := rawGet(t, addr, "/world.atom"); resp.StatusCode != 200 {
			t.Fatalf("status = %d", resp.StatusCode)
		}

		type result struct {
			status int
			body   []byte
			err    error
		}
		slow := make(chan result, 1)
		go func() {
			// Connection: close takes the request off the fast path to the
			// http.Server, whose handler the test can hold.
			req, _ := http.NewRequest("GET", "http://"+addr+"/world.rss", nil)
			req.Close = true
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				slow <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			slow <- result{resp.StatusCode, b, err}
		}()
		<-entered
		cancel()

		// Shutdown closes the listener first; wait for that, then new
		// connections are refused while the slow request is still in flight.
		for {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				break
			}
			conn.Close()
			time.Sleep(time.Millisecond)
		}
		select {
		case err := <-served:
			t.Fatalf("Serve returned %v with a request in flight", err)
		default:
		}

		close(release)
		r := <-slow
		if r.err != nil || r.status != 200 || !bytes.Equal(r.body, pageBody(t, "world.rss")) {
			t.Errorf("in-flight request: status %d, %d bytes, error %v; want 200 with the full page", r.status, len(r.body), r.err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		if _, err := net.Dial("tcp", addr); err == nil {
			t.Errorf("dial after shutdown succeeded")
		}
	})
}

func TestServeListenerError(t *testing.T) {
	s := published(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	err = s.Serve(t.Context(), ln)
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve on a closed listener = %v, want an error", err)
	}
}

func TestHeadOverTheWire(t *testing.T) {
	// net/http itself must keep the precomputed Content-Length on HEAD.
	s := published(t)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, ae := range []string{"identity", "gzip"} {
		req, _ := http.NewRequest("HEAD", ts.URL+"/world.rss", nil)
		req.Header.Set("Accept-Encoding", ae)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		get := do(t, s.Handler(), "GET", "/world.rss", map[string]string{"Accept-Encoding": ae})
		if got, want := resp.Header.Get("Content-Length"), get.Header.Get("Content-Length"); got != want || got == "" {
			t.Errorf("%s: HEAD Content-Length = %q, GET has %q", ae, got, want)
		}
		if got, want := resp.Header.Get("Etag"), get.Header.Get("Etag"); got != want {
			t.Errorf("%s: HEAD ETag = %q, GET has %q", ae, got, want)
		}
	}
}

func TestServeDateHeader(t *testing.T) {
	// Serve keeps a shared Date value instead of letting net/http format one
	// per response; it must still be a current, valid HTTP date.
	s := published(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/world.rss")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		t.Fatalf("Date %q: %v", resp.Header.Get("Date"), err)
	}
	if off := time.Since(d); off < -time.Second || off > 3*time.Second {
		t.Errorf("Date is %v off the clock", off)
	}
	if n := len(resp.Header.Values("Date")); n != 1 {
		t.Errorf("%d Date headers", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s.date.Load() != nil {
		t.Error("Date value kept after Serve returned")
	}
}

func TestPendingPaths(t *testing.T) {
	s := newServer(t, Options{})
	s.Publish(Snapshot{
		Pages:   []feed.File{{Path: "ready.rss", MediaType: "application/rss+xml", Body: []byte("<rss/>")}},
		Pending: []string{"ready.rss", "slow.rss"},
	})
	tests := []struct {
		method, target string
		status         int
	}{
		{"GET", "/ready.rss", 200},
		{"GET", "/slow.rss", 503},
		{"HEAD", "/slow.rss", 503},
		{"POST", "/slow.rss", 405},
		{"GET", "/other.rss", 404},
	}
	for _, tt := range tests {
		resp := do(t, s.Handler(), tt.method, tt.target, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.target, resp.StatusCode, tt.status)
		}
		if tt.status == 503 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: 503 without Retry-After", tt.method, tt.target)
		}
	}
	// Once published, a pending path is an ordinary page.
	s.Publish(Snapshot{Pages: []feed.File{{Path: "slow.rss", MediaType: "application/rss+xml", Body: []byte("<rss/>")}}})
	if resp := do(t, s.Handler(), "GET", "/slow.rss", nil); resp.StatusCode != 200 {
		t.Errorf("after publish: %d", resp.StatusCode)
	}
}

// TestPublishStamped: replicas that lived through different histories
// (one saw an intermediate body, one started late, one fast path off)
// answer the same stamped snapshot with the same ETag and Last-Modified,
// even a Last-Modified older than one they served before.
func TestPublishStamped(t *testing.T) {
	stamp := modified.Add(-48 * time.Hour).Truncate(time.Second)
	final := Snapshot{Stamped: true, Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: []byte("final"), Modified: stamp}}}
	histories := map[string][]Snapshot{
		"fresh":                       nil,
		"saw another body":            {{Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: []byte("other"), Modified: modified}}}},
		"saw the same body unstamped": {{Pages: []feed.File{{Path: "world.rss", MediaType: rssType, Body: []byte("final"), Modified: modified}}}},
	}
	type validators struct{ etag, lm string }
	got := map[string]validators{}
	for name, history := range histories {
		s := newServer(t, Options{Now: newClock(t0).now})
		for _, snap := range history {
			s.Publish(snap)
		}
		s.Publish(final)
		resp := do(t, s.Handler(), "GET", "/world.rss", nil)
		got[name] = validators{resp.Header.Get("Etag"), resp.Header.Get("Last-Modified")}
	}
	want := validators{got["fresh"].etag, stamp.Format(http.TimeFormat)}
	for name, v := range got {
		if v != want {
			t.Errorf("%s: ETag, Last-Modified = %v, want %v", name, v, want)
		}
	}
}

// TestHealthzReplica: a replica's role and leader on both /healthz; a
// replica that lost its database says "degraded" on both, and the
// operator's one says why (the public one does not), while its pages are
// still served.
func TestHealthzReplica(t *testing.T) {
	rs := ReplicaStatus{ID: "b:2", Role: RoleFollower, Leader: "a:1", LeaderSince: t0, Database: "ok", Generation: 7}
	s := newServer(t, Options{Replica: func() ReplicaStatus { return rs }})
	s.Publish(Snapshot{Pages: testPages("")})
	decode := func(h http.Handler) map[string]any {
		t.Helper()
		var got map[string]any
		if err := json.Unmarshal(readBody(t, do(t, h, "GET", "/healthz", nil)), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	ts := t0.Format(time.RFC3339)
	for _, tc := range []struct {
		name          string
		db, dbErr     string
		public, admin map[string]any
	}{
		{"reachable", "ok", "", map[string]any{"status": "ok", "role": "follower", "leader": "a:1"}, map[string]any{
			"id": "b:2", "role": "follower", "leader": "a:1", "leader_since": ts, "database": "ok", "generation": float64(7)}},
		{"database lost", "unreachable", "dial tcp 10.0.0.5:5432: connection refused",
			map[string]any{"status": "degraded", "role": "follower", "leader": "a:1"}, map[string]any{
				"id": "b:2", "role": "follower", "leader": "a:1", "leader_since": ts, "database": "unreachable",
				"database_error": "dial tcp 10.0.0.5:5432: connection refused", "generation": float64(7)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs.Database, rs.DatabaseError = tc.db, tc.dbErr
			if diff := cmp.Diff(tc.public, decode(s.Handler())); diff != "" {
				t.Errorf("public /healthz (-want +got):\n%s", diff)
			}
			admin := decode(s.AdminHandler())
			if diff := cmp.Diff(tc.admin, admin["replica"]); diff != "" {
				t.Errorf("operator /healthz replica (-want +got):\n%s", diff)
			}
			if admin["status"] != tc.public["status"] {
				t.Errorf("operator /healthz status = %v, want %v", admin["status"], tc.public["status"])
			}
			if resp := do(t, s.Handler(), "GET", "/world.rss", nil); resp.StatusCode != 200 {
				t.Errorf("feed: status %d, want 200", resp.StatusCode)
			}
		})
	}
}
