package server

import (
	"strings"
	"testing"
	"time"
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
