package server

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
)

func TestStatusPage(t *testing.T) {
	status := []SourceStatus{
		{Name: "notes", Type: "files", LastRun: t0, LastSuccess: t0, Items: 3, NextRun: t0.Add(5 * time.Minute), PerDay: []int{0, 2, 0, 1}},
		{Name: "upstream", Type: "feed", LastRun: t0, LastSuccess: t0.Add(-time.Hour), LastFailure: t0, LastError: `fetching http://***@up.example/<feed>: 502`},
	}
	feeds := []FeedStatus{{Name: "world", Title: "World & more", Items: 3, Changed: t0.Add(-2 * time.Hour)}}
	s := newServer(t, Options{
		Status: func() []SourceStatus { return status }, Feeds: func() []FeedStatus { return feeds },
		Now: func() time.Time { return t0.Add(time.Minute) }, Version: "1.2.3",
	})
	s.Publish(Snapshot{Pages: testPages("")})
	resp := do(t, s.AdminHandler(), "GET", "/status", nil)
	body := string(readBody(t, resp))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{
		`<span class="failing" id="overall">degraded</span>`,
		"Herald 1.2.3",
		"<td>notes</td>", "<td>files</td>", "<td>feed</td>",
		`<time datetime="2026-03-01T12:05:00Z" title="2026-03-01T12:05:00Z">in 4m0s</time>`, // next run
		`fetching http://***@up.example/&lt;feed&gt;: 502`,                                  // escaped, as given (redacted by the caller)
		`aria-label="articles per day, oldest first: 0, 2, 0, 1"`,
		`<rect x="25" y="0" width="20" height="24"><title>2 (2 days ago)</title></rect>`,
		"<td>World &amp; more</td><td>3</td>",
		"2h1m0s ago",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %s\n%s", want, body)
		}
	}
	// Every source fine: "ok".
	status[1].LastError = ""
	if body := string(readBody(t, do(t, s.AdminHandler(), "GET", "/status", nil))); !strings.Contains(body, `<span class="ok" id="overall">ok</span>`) {
		t.Errorf("status page with every source fine:\n%s", body)
	}
}

// TestHealthBackoff: a source backing off, or an OPML source one of whose
// feeds is, is failing on /healthz ("degraded", with the feed's URL,
// error and retry time) and on /status, even with no error of its own.
func TestHealthBackoff(t *testing.T) {
	retry := t0.Add(4 * time.Minute)
	for _, tc := range []struct {
		name   string
		source SourceStatus
		health string
		json   []string // in /healthz
		page   []string // in /status
	}{
		{"succeeding", SourceStatus{Name: "planet", Type: "opml", LastSuccess: t0}, "ok", nil, []string{`<tr class="ok">`}},
		{"backing off", SourceStatus{Name: "blog", Type: "feed", LastFailure: t0, LastError: "http://up.example/feed: 503", Failures: 2, RetryAt: retry},
			"degraded", []string{`"failures":2,"retry_at":"2026-03-01T12:04:00Z"`},
			[]string{"backing off after 2 failed collections, retry", `<time datetime="2026-03-01T12:04:00Z">in 3m0s</time>`}},
		{"an entry backing off", SourceStatus{Name: "planet", Type: "opml", LastSuccess: t0, RetryAt: retry, Entries: []EntryStatus{
			{URL: "http://10.0.0.5/feed", Failures: 1, RetryAt: retry, LastError: "http://10.0.0.5/feed: address is not public"},
		}}, "degraded",
			[]string{`"entries":[{"url":"http://10.0.0.5/feed","failures":1,"retry_at":"2026-03-01T12:04:00Z","last_error":"http://10.0.0.5/feed: address is not public"}]`},
			[]string{`<tr class="failing">`, `<span class="url">http://10.0.0.5/feed</span>: backing off after 1 failure, retry`,
				`<div class="error">http://10.0.0.5/feed: address is not public</div>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{
				Status: func() []SourceStatus { return []SourceStatus{tc.source} },
				Now:    func() time.Time { return t0.Add(time.Minute) },
			})
			health := string(readBody(t, do(t, s.AdminHandler(), "GET", "/healthz", nil)))
			for _, want := range append(tc.json, `"status":"`+tc.health+`"`) {
				if !strings.Contains(health, want) {
					t.Errorf("/healthz lacks %s\n%s", want, health)
				}
			}
			page := string(readBody(t, do(t, s.AdminHandler(), "GET", "/status", nil)))
			for _, want := range append(tc.page, `id="overall">`+tc.health+`<`) {
				if !strings.Contains(page, want) {
					t.Errorf("/status lacks %s\n%s", want, page)
				}
			}
		})
	}
}

// TestFeedLastChange: a feed's "Last change" is when its bytes changed,
// not the date of its newest item (which an item dated last week would
// make a week old at the moment it appears).
func TestFeedLastChange(t *testing.T) {
	now := t0
	feeds := []FeedStatus{{Name: "world", Title: "World", Path: "world.rss"}}
	s := newServer(t, Options{Feeds: func() []FeedStatus { return feeds }, Now: func() time.Time { return now }})
	weekAgo := t0.Add(-7 * 24 * time.Hour)
	publish := func(body string, modified time.Time) {
		s.Publish(Snapshot{Pages: []feed.File{{Path: "world.rss", MediaType: "application/rss+xml", Body: []byte(body), Modified: modified}}})
	}
	changed := func() time.Time {
		t.Helper()
		for _, f := range s.healthDoc().Feeds {
			return f.Changed
		}
		t.Fatal("no feed in /healthz")
		return time.Time{}
	}
	publish("v1", weekAgo)
	if got := changed(); !got.Equal(weekAgo) { // first seen: its Last-Modified
		t.Errorf("first publication: changed %v, want %v", got, weekAgo)
	}
	now = t0.Add(time.Hour)
	publish("v1", weekAgo) // unchanged bytes
	if got := changed(); !got.Equal(weekAgo) {
		t.Errorf("unchanged: changed %v, want %v", got, weekAgo)
	}
	now = t0.Add(2 * time.Hour)
	publish("v2", weekAgo.Add(time.Hour)) // a new item dated last week
	if got := changed(); !got.Equal(now) {
		t.Errorf("changed bytes: changed %v, want the moment of the change %v", got, now)
	}
}
