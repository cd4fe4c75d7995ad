//go:build browser

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBrowserFeeds opens every feed URL as a person clicking a link would.
// A feed's address shows the feed's page there (links to the articles,
// readable dates with the machine date in <time datetime>, summaries, a
// link to the index, the title once); a feed without a page of its own,
// an archive document, is the XML document styled by its CSS (not
// Chromium's XML tree viewer, its plain-text view or an XSLT result with
// its deprecation banner). Each feed's page reads as a page. The same site
// written by generate works from any folder: its links are relative.
func TestBrowserFeeds(t *testing.T) {
	articles := map[string]string{
		"one.md": "---\ntitle: First & finest story\ndate: 2026-02-03\nsummary: What the first one says.\n---\nBody one.\n",
		"two.md": "---\ntitle: Second story\ndate: 2026-02-04\nsummary: What the second one says.\n---\nBody two.\n",
	}
	cfg := testSite(t, "", articles)
	// One item a document: the older one goes to archive/world-1.
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"    limit: 1\n")
	base, _, _ := startServe(t, cfg)
	waitFor(t, "the archive", func() bool { resp, _ := get(t, base+"/archive/world-1.rss"); return resp.StatusCode == 200 })

	for _, path := range []string{"world.rss", "world.atom"} {
		t.Run(path, func(t *testing.T) {
			dom := dumpDOM(t, base+"/"+path)
			for _, want := range []string{"<h1>World</h1>", "Follow this feed", `<a href="./">Test site</a>`,
				`<code>http://news.example/world.rss</code>`, `<time datetime="2026-02-04T00:00:00Z">`, "What the second one says."} {
				if !strings.Contains(dom, want) {
					t.Errorf("the view of %s lacks %s:\n%.3000s", path, want, dom)
				}
			}
			if !regexp.MustCompile(`<h3><a href="articles/two-[0-9a-f]{8}\.html">Second story</a></h3>`).MatchString(dom) {
				t.Errorf("the item's title is not a link to its page:\n%.3000s", dom)
			}
			if strings.Count(dom, ">World<") != 1 {
				t.Errorf("the title is shown %d times:\n%.3000s", strings.Count(dom, ">World<"), dom)
			}
			screenshot(t, base+"/"+path, path)
		})
	}
	for _, tc := range []struct{ path, root, title string }{
		{"archive/world-1.rss", "<rss ", "<title>World</title>"},
		{"archive/world-1.atom", "<feed ", "<title>World</title>"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			// Styled under the feed's policy (style-src 'self'), with no
			// violation reported.
			dom, console := loadLogged(t, base+"/"+tc.path)
			if cspViolation(console) {
				t.Errorf("Chromium reports a policy violation:\n%s", console)
			}
			if !strings.HasPrefix(strings.TrimSpace(dom), tc.root) {
				t.Errorf("the DOM is not the feed document (a viewer or a text view?):\n%.600s", dom)
			}
			for _, want := range []string{tc.title, "First &amp; finest story"} {
				if !strings.Contains(dom, want) {
					t.Errorf("DOM lacks %s:\n%.2000s", want, dom)
				}
			}
			for _, bad := range []string{"webkit-xml-viewer", "<pre", "XSLT", "does not appear to have any style information"} {
				if strings.Contains(dom, bad) {
					t.Errorf("DOM shows %q:\n%.2000s", bad, dom)
				}
			}
			screenshot(t, base+"/"+tc.path, strings.ReplaceAll(tc.path, "/", "-"))
		})
	}

	page := dumpDOM(t, base+"/world.html")
	for _, want := range []string{"<h1>World</h1>", "Follow this feed", "<code>http://news.example/world.rss</code>",
		`href="world.atom"`, "Second story", "What the second one says.", `<link rel="icon" href="favicon.ico">`} {
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
	m := regexp.MustCompile(`href="(articles/two-[0-9a-f]{8}\.html)"`).FindStringSubmatch(static)
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
