package server

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/http/httpguts"
)

// The request headers below are outside input; these fuzzers check the
// in-place parsers never panic and keep their basic promises.

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"", "gzip", "gzip;q=0", "*;q=0.5, gzip;q=0", "br, x-gzip;q=1.0", ";;,,=q", "gzip;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ae string) {
		got := acceptsGzip([]string{ae})
		// Only a gzip coding or "*" can ever enable gzip.
		if got && !strings.Contains(strings.ToLower(ae), "gzip") && !strings.Contains(ae, "*") {
			t.Errorf("acceptsGzip(%q) = true without gzip or *", ae)
		}
	})
}

func FuzzMatchETag(f *testing.F) {
	tag, gzTag := `"2cf24dba5fb0a30e26e83b2ac5b9e29e"`, `"2cf24dba5fb0a30e26e83b2ac5b9e29e-gz"`
	for _, s := range []string{"", "*", tag, "W/" + tag, `"a", ` + gzTag, `W/`, `"unterminated`, `,,,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, inm string) {
		got := matchETag([]string{inm}, tag, gzTag)
		if got && !strings.Contains(inm, "*") && !strings.Contains(inm, tag[:len(tag)-1]) {
			t.Errorf("matchETag(%q) = true without * or the tag", inm)
		}
		// Separators alone are an empty list: adding the tag must match.
		if !strings.ContainsAny(inm, `"*`) && strings.Trim(inm, " \t,") == "" && !matchETag([]string{inm + "," + tag}, tag, gzTag) {
			t.Errorf("matchETag(%q + tag) = false", inm)
		}
	})
}

func FuzzNotModifiedSince(f *testing.F) {
	lm := modified.Truncate(1e9)
	for _, s := range []string{lm.Format(http.TimeFormat), "yesterday", "", "Mon, 02 Jan 2006 15:04:05 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ims string) {
		got := notModifiedSince([]string{ims}, lm.Format(http.TimeFormat), lm)
		parsed, err := http.ParseTime(ims)
		want := err == nil && !lm.After(parsed)
		if got != want {
			t.Errorf("notModifiedSince(%q) = %v, want %v", ims, got, want)
		}
	})
}

// FuzzLookup checks that whatever request target arrives, a page is only
// served for the exact path it was published under, up to repeated
// slashes.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"/", "/world.rss", "/../world.rss", "//world.rss", "/articles%2Fx.html", "/articles/x.html", "/%2e%2e/x"} {
		f.Add(s)
	}
	pages := map[string]*entry{}
	for _, p := range []string{"index.html", "world.rss", "articles/x.html"} {
		pages[p] = &entry{body: []byte(p)}
	}
	snap := &snapshot{pages: pages}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		e := snap.lookup(u)
		if e == nil {
			return
		}
		// Only repeated slashes may differ from the published path.
		collapsed := "/" + strings.Join(strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' }), "/")
		if collapsed != "/" && strings.HasSuffix(u.Path, "/") {
			collapsed += "/"
		}
		want := "/" + string(e.body)
		if string(e.body) == "index.html" && collapsed == "/" {
			want = "/"
		}
		if collapsed != want {
			t.Errorf("%q (path %q) served %q", target, u.Path, e.body)
		}
		if strings.Contains(strings.ToLower(u.EscapedPath()), "%2f") {
			t.Errorf("%q with an encoded slash served %q", target, e.body)
		}
	})
}

// FuzzParseFast holds the fast parser to net/http: whenever it accepts a
// request head, http.ReadRequest and the checks net/http's server adds
// (httpguts) accept it too, consume the same bytes, see no body, and read
// the same method, path, Host and header values. Fed in two parts, as
// reads may split it, the parser reaches the same answer as in one.
func FuzzParseFast(f *testing.F) {
	for _, s := range []string{
		"GET /world.rss HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\"\r\n\r\n",
		"HEAD / HTTP/1.1\r\nhost: x\r\nAccept-Encoding: gzip\r\n\r\nGET /a HTTP/1.1\r\n",
		"GET /a%2f HTTP/1.1\r\nHost: x\n\r\n",
		"GET //world.rss?a=b HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
		"GET /world.atom?a b HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\nX:\t y \r\n\r\n",
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, buf []byte, split uint16) {
		var p fastParser
		n, ok := p.parse(buf)
		if n < 0 || n > len(buf) || (n > 0 && !ok) {
			t.Fatalf("parse = %d, %v for %d bytes", n, ok, len(buf))
		}
		var q fastParser
		k := int(split) % (len(buf) + 1)
		qn, qok := q.parse(buf[:k])
		if qok && qn == 0 {
			qn, qok = q.parse(buf)
		}
		if qn != n || qok != ok {
			t.Fatalf("in two parts (%d bytes first): %d, %v; in one: %d, %v", k, qn, qok, n, ok)
		}
		if n == 0 {
			return
		}
		if diff := cmp.Diff(p.req, q.req, cmp.AllowUnexported(fastRequest{}), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("in two parts (-one +two):\n%s", diff)
		}
		checkAgainstNetHTTP(t, buf, n, &p.req)
	})
}

// checkAgainstNetHTTP fails t unless net/http reads the head the fast
// parser accepted (buf[:n] as r) the same way.
func checkAgainstNetHTTP(t *testing.T, buf []byte, n int, r *fastRequest) {
	t.Helper()
	head := buf[:n]
	rd := bytes.NewReader(buf)
	br := bufio.NewReader(rd)
	req, err := http.ReadRequest(br)
	if err != nil {
		t.Fatalf("fast path accepted %q; http.ReadRequest: %v", head, err)
	}
	if used := len(buf) - rd.Len() - br.Buffered(); used != n {
		t.Errorf("%q: net/http read %d bytes of head, the fast path %d", head, used, n)
	}
	if req.Body != http.NoBody || req.ContentLength != 0 || len(req.TransferEncoding) > 0 || req.Close {
		t.Errorf("%q: net/http sees a body or a close: length %d, %v, close %v", head, req.ContentLength, req.TransferEncoding, req.Close)
	}
	method := "GET"
	if r.head {
		method = "HEAD"
	}
	if req.Method != method || req.ProtoMajor != 1 || req.ProtoMinor != 1 {
		t.Errorf("%q: net/http reads %s HTTP/%d.%d", head, req.Method, req.ProtoMajor, req.ProtoMinor)
	}
	// A RawPath only keeps how a path was spelled when escaping it would
	// differ ("/!"); with no '%' it is the path itself.
	if req.URL.Path != "/"+string(r.path) || (req.URL.RawPath != "" && req.URL.RawPath != req.URL.Path) || req.URL.Host != "" {
		t.Errorf("%q: net/http reads path %q (raw %q, host %q), the fast path /%s", head, req.URL.Path, req.URL.RawPath, req.URL.Host, r.path)
	}
	// The checks net/http's server makes beyond http.ReadRequest.
	if req.Host != string(r.host) || !httpguts.ValidHostHeader(req.Host) {
		t.Errorf("%q: net/http reads Host %q, the fast path %q", head, req.Host, r.host)
	}
	for name, values := range req.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			t.Errorf("%q: invalid header name %q", head, name)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				t.Errorf("%q: invalid value %q of %s", head, v, name)
			}
		}
	}
	if len(req.Header["Expect"]) > 0 || len(req.Header["Upgrade"]) > 0 {
		t.Errorf("%q: Expect or Upgrade accepted", head)
	}
	for name, got := range map[string][]string{
		"Accept-Encoding":   r.acceptEncoding,
		"If-None-Match":     r.ifNoneMatch,
		"If-Modified-Since": r.ifModSince,
	} {
		if diff := cmp.Diff(req.Header[name], got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%q: %s (-net/http +fast):\n%s", head, name, diff)
		}
	}
}
