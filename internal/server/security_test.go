package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSecurityHeaders: every response, from the fast path or net/http,
// public or operator listener, carries nosniff; every page its
// Content-Security-Policy, HTML pages the strict one.
func TestSecurityHeaders(t *testing.T) {
	const token = "0123456789abcdef0123"
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	const page = "default-src 'none'; style-src 'sha256-x'; img-src http: https:"
	bothPaths(t, func(t *testing.T, noFast bool) {
		s := newServer(t, Options{NoFastPath: noFast, AdminToken: token, PagePolicy: page})
		s.Publish(Snapshot{Pages: testPages(""), MaxAge: time.Minute})
		served, _ := servePaths(t, s)
		adminLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		adminDone := make(chan error, 1)
		go func() { adminDone <- s.ServeAdmin(ctx, adminLn) }()
		t.Cleanup(func() { cancel(); <-adminDone })
		admin := adminLn.Addr().String()
		etag := do(t, s.Handler(), "GET", "/", nil).Header.Get("Etag")

		for _, tc := range []struct {
			name, method, addr, target string
			hdr                        map[string]string
			status                     int
			csp                        string // "": none wanted
		}{
			{"index", "GET", served, "/", nil, 200, page + "; frame-ancestors 'none'"},
			{"index as browser", "GET", served, "/index.html", map[string]string{"Accept": browser}, 200, page + "; frame-ancestors 'none'"},
			{"article", "GET", served, "/articles/x-1a2b3c4d.html", nil, 200, page + "; frame-ancestors 'none'"},
			{"index 304", "GET", served, "/", map[string]string{"If-None-Match": etag}, 304, ""},
			{"feed", "GET", served, "/world.rss", nil, 200, docPolicy},
			{"feed as browser", "GET", served, "/world.rss", map[string]string{"Accept": browser}, 200, docPolicy},
			{"feed head", "HEAD", served, "/world.atom", nil, 200, docPolicy},
			{"json", "GET", served, "/world.json", nil, 200, docPolicy},
			{"not found", "GET", served, "/nope.html", nil, 404, hdrTextPolicy[0]},
			{"method", "POST", served, "/", nil, 405, hdrTextPolicy[0]},
			{"favicon", "GET", served, "/favicon.ico", nil, 204, ""},
			{"healthz", "GET", served, "/healthz", nil, 200, ""},
			{"status without token", "GET", served, "/status", nil, 401, hdrTextPolicy[0]},
			{"status with token", "GET", served, "/status", map[string]string{"Authorization": "Bearer " + token}, 200, statusPolicy[0]},
			{"metrics with token", "GET", served, "/metrics", map[string]string{"Authorization": "Bearer " + token}, 200, ""},
			{"admin status", "GET", admin, "/status", nil, 200, statusPolicy[0]},
			{"admin healthz", "GET", admin, "/healthz", nil, 200, ""},
			{"admin metrics", "GET", admin, "/metrics", nil, 200, ""},
			{"admin not found", "GET", admin, "/nope", nil, 404, hdrTextPolicy[0]},
			{"admin wrong host", "GET", admin, "/status", map[string]string{"Host": "evil.example"}, 421, hdrTextPolicy[0]},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequest(tc.method, "http://"+tc.addr+tc.target, nil)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range tc.hdr {
					if k == "Host" {
						req.Host = v
					}
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				if got := resp.Header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q, want one nosniff", got)
				}
				if got := resp.Header.Get("Content-Security-Policy"); tc.csp != "" && got != tc.csp {
					t.Errorf("Content-Security-Policy = %q, want %q", got, tc.csp)
				}
				if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
					if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
						t.Errorf("HTML page with Referrer-Policy %q, want no-referrer", got)
					}
					if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
						t.Errorf("HTML page without frame-ancestors 'none'")
					}
				}
			})
		}
	})
}

// TestAdminHost: the operator listener answers localhost, IP addresses
// and the configured names, and refuses any other Host (a page rebinding
// its own name to the listener's address).
func TestAdminHost(t *testing.T) {
	s := newServer(t, Options{AdminHosts: []string{"herald.internal", "metrics.corp.example."}})
	h := s.AdminHandler()
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:9090", true},
		{"127.0.0.1", true},
		{"localhost:9090", true},
		{"LOCALHOST", true},
		{"[::1]:9090", true},
		{"10.0.0.5:9090", true},
		{"herald.internal:9090", true},
		{"Herald.Internal", true},
		{"metrics.corp.example:9090", true},
		{"evil.example", false},
		{"evil.example:9090", false},
		{"rebind.attacker.example:9090", false},
		{"localhost.attacker.example", false},
		{"herald.internal.attacker.example", false},
		{"", true}, // HTTP/1.0 without Host: no browser sends that
	} {
		t.Run(tc.host, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/status", nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if ok := w.Code == http.StatusOK; ok != tc.ok {
				t.Errorf("Host %q: status %d, want allowed %v", tc.host, w.Code, tc.ok)
			}
			if !tc.ok && w.Code != http.StatusMisdirectedRequest {
				t.Errorf("Host %q refused with %d, want 421", tc.host, w.Code)
			}
		})
	}
}
