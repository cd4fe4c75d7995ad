package server

import (
	"net/http"
	"testing"

	"github.com/heraldfeed/herald/feed"
)

func TestPrefersHTML(t *testing.T) {
	tests := []struct {
		name   string
		accept []string
		want   bool
	}{
		{"chromium", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"}, true},
		{"firefox", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, true},
		{"none", nil, false},
		{"wildcard only", []string{"*/*"}, false},
		{"reader", []string{"application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, */*;q=0.1"}, false},
		{"reader that also takes html", []string{"application/atom+xml, text/html;q=0.5"}, false},
		{"tie goes to the feed", []string{"text/html, application/rss+xml"}, false},
		{"html refused", []string{"text/html;q=0, */*"}, false},
		{"upper case, two fields", []string{"application/xml;q=0.5", "TEXT/HTML"}, true},
		{"malformed q counts as 1", []string{"text/html;q=high, application/xml;q=0.9"}, true},
	}
	for _, tt := range tests {
		if got := prefersHTML(tt.accept); got != tt.want {
			t.Errorf("%s: prefersHTML(%q) = %v, want %v", tt.name, tt.accept, got, tt.want)
		}
	}
}

// FuzzPrefersHTML: any Accept value is read without panicking, and the
// fast path's test (an Accept naming text/html goes to net/http) covers
// every request prefersHTML would give application/xml, so the fast path
// never answers one with the feed's own type.
func FuzzPrefersHTML(f *testing.F) {
	f.Add("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	f.Add("application/rss+xml, text/html;q=0.1")
	f.Add("TEXT/HTML;Q=1")
	f.Fuzz(func(t *testing.T, accept string) {
		if prefersHTML([]string{accept}) && !containsFold([]byte(accept), "text/html") {
			t.Fatalf("prefersHTML(%q) with no text/html the fast path would see", accept)
		}
	})
}

// TestFeedView: a browser navigating to a feed's address is shown the
// feed's page at that address; everyone else, a browser-like reader
// included, gets the feed; a feed without a page (an archive document)
// is shown as the styled feed.
func TestFeedView(t *testing.T) {
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	s := newServer(t, Options{})
	page := []byte("<!doctype html><title>World</title>")
	s.Publish(Snapshot{Pages: []feed.File{
		{Path: "world.rss", MediaType: rssType, Body: []byte("<rss/>"), Modified: modified},
		{Path: "world.atom", MediaType: atomType, Body: []byte("<feed/>"), Modified: modified},
		{Path: "world.html", MediaType: htmlType, Body: page, Modified: modified},
		{Path: "archive/world-1.rss", MediaType: rssType, Body: []byte("<rss>1</rss>"), Modified: modified},
	}})
	for _, tc := range []struct {
		name, target    string
		hdr             map[string]string
		body, ctype     string
		conditionalPage bool
	}{
		{"browser navigation", "/world.rss", map[string]string{"Accept": browser, "Sec-Fetch-Dest": "document"}, string(page), htmlType, true},
		{"browser navigation, atom", "/world.atom", map[string]string{"Accept": browser, "Sec-Fetch-Dest": "document"}, string(page), htmlType, true},
		{"browser without fetch metadata", "/world.rss", map[string]string{"Accept": browser}, "<rss/>", "application/xml; charset=utf-8", false},
		{"a reader that says it navigates", "/world.rss", map[string]string{"Accept": "application/rss+xml, */*", "Sec-Fetch-Dest": "document"}, "<rss/>", rssType, false},
		{"fetch() from a page", "/world.rss", map[string]string{"Accept": browser, "Sec-Fetch-Dest": "empty"}, "<rss/>", "application/xml; charset=utf-8", false},
		{"archive document", "/archive/world-1.rss", map[string]string{"Accept": browser, "Sec-Fetch-Dest": "document"}, "<rss>1</rss>", "application/xml; charset=utf-8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, s.Handler(), "GET", tc.target, tc.hdr)
			body := string(readBody(t, resp))
			if resp.StatusCode != 200 || body != tc.body || resp.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("%d %q %q, want %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.ctype, tc.body)
			}
			if v := resp.Header.Get("Vary"); v != "Accept, Accept-Encoding, Sec-Fetch-Dest" {
				t.Errorf("Vary = %q", v)
			}
			wantTag := etagOf([]byte(tc.body))
			if resp.Header.Get("Etag") != wantTag {
				t.Errorf("ETag %q, want that of what was served %q", resp.Header.Get("Etag"), wantTag)
			}
			if tc.conditionalPage && resp.Header.Get("Content-Security-Policy") == docPolicy {
				t.Error("the page went out with the feed's policy")
			}
			// Revalidating what it got gives 304.
			hdr := map[string]string{"If-None-Match": wantTag}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			if resp := do(t, s.Handler(), "GET", tc.target, hdr); resp.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation: %d, want 304", resp.StatusCode)
			}
		})
	}
}
