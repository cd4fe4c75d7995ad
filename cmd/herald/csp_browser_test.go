//go:build browser

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// loadLogged loads url in headless Chromium with its log on stderr and
// returns the DOM and the console messages: a page's Content Security
// Policy violations are reported there ("Refused to apply inline style
// because it violates the following Content Security Policy directive").
func loadLogged(t *testing.T, url string) (dom, console string) {
	t.Helper()
	out, stderr, err := chromium(t, "--enable-logging=stderr", "--v=0", "--dump-dom", url)
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, stderr)
	}
	var lines []string
	for l := range strings.SplitSeq(stderr, "\n") {
		if strings.Contains(l, "CONSOLE") || strings.Contains(l, "Content Security Policy") || strings.Contains(l, "Refused to") {
			lines = append(lines, l)
		}
	}
	return string(out), strings.Join(lines, "\n")
}

// cspViolation reports whether Chromium's console shows a CSP violation.
func cspViolation(console string) bool {
	return strings.Contains(console, "Content Security Policy") || strings.Contains(console, "Refused to")
}

// TestBrowserPolicy: Herald's pages work under their Content Security
// Policy: Chromium reports no violation loading any of them, served or
// written by generate, and they render as before. A control page that
// breaks its own policy must be reported, or the check proves nothing.
func TestBrowserPolicy(t *testing.T) {
	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		fmt.Fprint(w, "<!doctype html><title>control</title><style>body{color:red}</style><p>x</p>")
	}))
	defer control.Close()
	if _, console := loadLogged(t, control.URL); !cspViolation(console) {
		t.Fatalf("a page breaking its policy was not reported; console:\n%s", console)
	}

	articles := map[string]string{
		"one.md": "---\ntitle: First story\ndate: 2026-02-03\n---\nBody one.\n\n![a picture](https://img.example/a.png)\n",
	}
	cfg := testSite(t, "admin_listen: 127.0.0.1:0\n", articles)
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the feed", func() bool { resp, _ := get(t, base+"/world.rss"); return resp.StatusCode == 200 })
	var admin string
	waitFor(t, "the admin listener", func() bool {
		m := regexp.MustCompile(`msg="serving operator endpoints" addr=(\S+)`).FindStringSubmatch(logs.String())
		if m != nil {
			admin = "http://" + m[1]
		}
		return m != nil
	})
	index, _ := loadLogged(t, base+"/")
	m := regexp.MustCompile(`href="(articles/one-[0-9a-f]{8}\.html)"`).FindStringSubmatch(index)
	if m == nil {
		t.Fatalf("no link to the article page in the index:\n%s", index)
	}
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}

	for _, tc := range []struct {
		name, url string
		want      []string // in the DOM: the page rendered
	}{
		{"served index", base + "/", []string{"<h1>Test site</h1>", `<meta http-equiv="Content-Security-Policy"`}},
		{"served feed page", base + "/world.html", []string{"<h1>World</h1>", "Follow this feed"}},
		{"served article", base + "/" + m[1], []string{"<p>Body one.</p>", `src="https://img.example/a.png"`}},
		// A browser navigating to a feed's address is shown its page.
		{"served rss", base + "/world.rss", []string{"<h1>World</h1>", "First story"}},
		{"served atom", base + "/world.atom", []string{"<h1>World</h1>", "First story"}},
		{"status page", admin + "/status", []string{"<title>Herald status:"}},
		{"not found", base + "/nope.html", []string{"404 not found"}},
		{"generated index", "file://" + out + "/index.html", []string{"<h1>Test site</h1>"}},
		{"generated feed page", "file://" + out + "/world.html", []string{"<h1>World</h1>"}},
		{"generated article", "file://" + out + "/" + m[1], []string{"<p>Body one.</p>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dom, console := loadLogged(t, tc.url)
			if cspViolation(console) {
				t.Errorf("Chromium reports a policy violation:\n%s", console)
			}
			for _, w := range tc.want {
				if !strings.Contains(dom, w) {
					t.Errorf("DOM lacks %s:\n%.1500s", w, dom)
				}
			}
		})
	}
}
