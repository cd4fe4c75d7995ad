//go:build browser

package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBrowserFeeds opens every feed URL as a person clicking a link would:
// RSS and Atom are shown through their CSS stylesheet (the XML document
// itself is the DOM, not Chromium's XML tree viewer, its plain-text view
// or an XSLT result with its deprecation banner), and each feed's page
// reads as a page. The same site written by generate works from any
// folder: its links are relative.
func TestBrowserFeeds(t *testing.T) {
	articles := map[string]string{
		"one.md": "---\ntitle: First & finest story\ndate: 2026-02-03\nsummary: What the first one says.\n---\nBody one.\n",
		"two.md": "---\ntitle: Second story\ndate: 2026-02-04\n---\nBody two.\n",
	}
	cfg := testSite(t, "", articles)
	base, _, _ := startServe(t, cfg)
	waitFor(t, "the feed", func() bool { resp, _ := get(t, base+"/world.rss"); return resp.StatusCode == 200 })

	for _, tc := range []struct{ path, root, title string }{
		{"world.rss", "<rss ", "<title>World</title>"},
		{"world.atom", "<feed ", "<title>World</title>"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			dom := dumpDOM(t, base+"/"+tc.path)
			if !strings.HasPrefix(strings.TrimSpace(dom), tc.root) {
				t.Errorf("the DOM is not the feed document (a viewer or a text view?):\n%.600s", dom)
			}
			for _, want := range []string{tc.title, "First &amp; finest story", "Second story"} {
				if !strings.Contains(dom, want) {
					t.Errorf("DOM lacks %s:\n%.2000s", want, dom)
				}
			}
			for _, bad := range []string{"webkit-xml-viewer", "<pre", "XSLT", "does not appear to have any style information"} {
				if strings.Contains(dom, bad) {
					t.Errorf("DOM shows %q:\n%.2000s", bad, dom)
				}
			}
			screenshot(t, base+"/"+tc.path, tc.path)
		})
	}

	page := dumpDOM(t, base+"/world.html")
	for _, want := range []string{"<h1>World</h1>", "Follow this feed", "<code>http://news.example/world.rss</code>",
		`href="world.atom"`, "First &amp; finest story", "What the first one says.", `<link rel="icon" href="favicon.ico">`} {
		if !strings.Contains(page, want) {
			t.Errorf("world.html lacks %s:\n%s", want, page)
		}
	}
	screenshot(t, base+"/world.html", "world.html")
	if index := dumpDOM(t, base+"/"); !strings.Contains(index, `href="world.html"`) {
		t.Errorf("the index does not link the feed's page:\n%s", index)
	}
	if resp, body := get(t, base+"/favicon.ico"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(body, "\x00\x00\x01\x00") {
		t.Errorf("favicon.ico: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// Static output from a folder nested anywhere: relative links only.
	out := filepath.Join(t.TempDir(), "some", "prefix")
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	static := dumpDOM(t, "file://"+out+"/index.html")
	m := regexp.MustCompile(`href="(articles/one-[0-9a-f]{8}\.html)"`).FindStringSubmatch(static)
	if m == nil {
		t.Fatalf("no relative link to the article page:\n%s", static)
	}
	if art := dumpDOM(t, "file://"+out+"/"+m[1]); !strings.Contains(art, `href="../world.atom"`) || !strings.Contains(art, `href="../favicon.ico"`) {
		t.Errorf("article page links are not relative to its folder:\n%s", art)
	}
	if strings.Contains(static, `href="/`) {
		t.Errorf("the static index has a root-relative link:\n%s", static)
	}
}
