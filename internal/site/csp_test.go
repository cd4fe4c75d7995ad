package site

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
)

var (
	metaCSP  = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	styleTag = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
)

// TestPagesCarryPolicy: every HTML page a build writes carries PagePolicy
// in a <meta> ahead of its style, and the policy's hash allows the style
// the page really has (a changed style.html without a new hash would
// leave every page unstyled).
func TestPagesCarryPolicy(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	art := feed.Article{ID: "urn:x:1", Title: "An item", URL: "http://x.example/1", Summary: "Said briefly.",
		Content: `<p>Body <img src="https://img.example/a.png"></p>`, Page: "articles/an-item-1a2b3c4d.html", Published: now, Updated: now}
	b := New(Site{Title: "T", BaseURL: "http://x.example/", Feeds: []FeedSpec{{Name: "world", Title: "World", Sources: []string{"s"}, Filter: feed.Filter{Limit: 10}}}},
		Options{Log: testLog(t, now, map[string][]feed.Article{"s": {art}})})
	files := buildAll(t, b, []Input{{Name: "s", OK: true, Collected: true}}, now)
	seen := map[string]bool{}
	for _, f := range files {
		if !strings.HasPrefix(f.MediaType, "text/html") {
			continue
		}
		kind := f.Path
		if strings.HasPrefix(kind, "articles/") {
			kind = "articles/*.html"
		}
		seen[kind] = true
		body := string(f.Body)
		m := metaCSP.FindAllStringSubmatchIndex(body, -1)
		if len(m) != 1 {
			t.Errorf("%s: %d CSP <meta> elements, want 1", f.Path, len(m))
			continue
		}
		if got := html.UnescapeString(body[m[0][2]:m[0][3]]); got != PagePolicy {
			t.Errorf("%s: policy %q, want %q", f.Path, got, PagePolicy)
		}
		styles := styleTag.FindAllStringSubmatchIndex(body, -1)
		if len(styles) == 0 {
			t.Errorf("%s: no <style>", f.Path)
		}
		for _, s := range styles {
			if s[0] < m[0][0] {
				t.Errorf("%s: <style> before the policy, which applies only to what follows it", f.Path)
			}
			sum := sha256.Sum256([]byte(body[s[2]:s[3]]))
			if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(PagePolicy, h) {
				t.Errorf("%s: the policy does not allow its style (%s)", f.Path, h)
			}
		}
	}
	for _, want := range []string{"index.html", "world.html", "articles/*.html"} {
		if !seen[want] {
			t.Errorf("no %s in the build", want)
		}
	}
	for _, d := range []string{"script-src", "'unsafe-inline'", "frame-ancestors"} {
		if strings.Contains(PagePolicy, d) {
			t.Errorf("PagePolicy has %s", d)
		}
	}
}
