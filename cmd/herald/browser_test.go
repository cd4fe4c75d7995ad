//go:build browser

// The browser tests load Herald's pages in a real headless Chromium, the
// way a person sees them. They need /usr/bin/chromium (Debian's chromium
// package); .ci/run installs it and runs them with -tags browser.

package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dumpDOM loads url in headless Chromium and returns the DOM after
// scripts (if any had survived sanitizing) would have run.
func dumpDOM(t *testing.T, url string) string {
	t.Helper()
	out, _, err := chromium(t, "--dump-dom", url)
	if err != nil {
		t.Fatalf("chromium %s: %v", url, err)
	}
	return string(out)
}

// chromium runs headless Chromium (CHROMIUM, else /usr/bin/chromium) with
// args after the flags every run takes, with a minute to finish, and
// returns its stdout and stderr.
func chromium(t *testing.T, args ...string) (stdout []byte, stderr string, err error) {
	t.Helper()
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The flags keep Chromium off the network it cannot reach here.
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=2000"}
	cmd := exec.CommandContext(ctx, bin, append(flags, args...)...)
	var errb strings.Builder
	cmd.Stderr = &errb
	stdout, err = cmd.Output()
	return stdout, errb.String(), err
}

func TestBrowserPages(t *testing.T) {
	evil := "---\ntitle: Careful <b>markup</b> & co\ndate: 2026-02-03\n---\n" +
		"Body text.\n\n<script>document.title='pwned'</script>\n\n<img src=x onerror=\"document.title='pwned'\">\n"
	cfg := testSite(t, "", map[string]string{"plain.txt": story, "evil.md": evil})
	base, _, _ := startServe(t, cfg)
	waitFor(t, "the feed", func() bool { resp, _ := get(t, base+"/world.rss"); return resp.StatusCode == 200 })

	index := dumpDOM(t, base+"/")
	for _, want := range []string{
		`<link rel="alternate" type="application/rss+xml" title="World (RSS)" href="world.rss">`,
		`<link rel="alternate" type="application/atom+xml" title="World (Atom)" href="world.atom">`,
		`<link rel="alternate" type="application/feed+json" title="World (JSON Feed)" href="world.json">`,
		"A story title",
		"Careful &lt;b&gt;markup&lt;/b&gt; &amp; co", // a title is text, shown as written
	} {
		if !strings.Contains(index, want) {
			t.Errorf("index DOM lacks %s\n%s", want, index)
		}
	}

	// Follow the index's link to the article page, as a reader would.
	m := regexp.MustCompile(`href="(articles/evil-[0-9a-f]{8}\.html)"`).FindStringSubmatch(index)
	if m == nil {
		t.Fatalf("no link to the article page in the index:\n%s", index)
	}
	page := dumpDOM(t, base+"/"+m[1])
	if strings.Contains(page, "pwned") || strings.Contains(page, "<script") || strings.Contains(page, "onerror") {
		t.Errorf("script survived into the article page:\n%s", page)
	}
	for _, want := range []string{"<title>Careful &lt;b&gt;markup&lt;/b&gt; &amp; co · Test site</title>", "<p>Body text.</p>", `href="../world.atom"`} {
		if !strings.Contains(page, want) {
			t.Errorf("article DOM lacks %s\n%s", want, page)
		}
	}
}
