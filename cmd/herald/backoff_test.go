package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestOPMLBackoffHealth: an OPML source whose listed feed is refused (on
// loopback, not in fetch.allow_hosts) shows on /healthz as failing, with
// the feed's URL, error and retry time, and its next run at that retry
// time; its collections while the feed backs off are skips, never a
// success with nothing. Allowing the host and reloading fetches the feed
// at once: a changed fetch configuration ends the back-off.
func TestOPMLBackoffHealth(t *testing.T) {
	var reqs atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Up</title><link>http://up.example/</link><description>d</description>`+
			`<item><title>Listed story</title><link>http://up.example/1</link><guid>up-1</guid><pubDate>Sun, 01 Mar 2026 10:00:00 GMT</pubDate></item></channel></rss>`)
	}))
	defer up.Close()
	feedURL := up.URL + "/feed.xml"
	dir := t.TempDir()
	list := filepath.Join(dir, "planet.opml")
	writeFile(t, list, `<opml version="2.0"><body><outline text="Up" xmlUrl="`+feedURL+`"/></body></opml>`)
	cfg := testSite(t, "  - {name: planet, type: opml, path: "+list+", schedule: \"@every 1s\"}\n", nil)
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"  - {name: planetfeed, title: Planet, sources: [planet]}\n")
	base, _, logs := startServe(t, cfg)

	type entry struct {
		URL       string    `json:"url"`
		Failures  int       `json:"failures"`
		RetryAt   time.Time `json:"retry_at"`
		LastError string    `json:"last_error"`
	}
	type source struct {
		Name        string    `json:"name"`
		LastSuccess time.Time `json:"last_success"`
		LastError   string    `json:"last_error"`
		NextRun     time.Time `json:"next_run"`
		RetryAt     time.Time `json:"retry_at"`
		Entries     []entry   `json:"entries"`
	}
	planet := func() (string, source) {
		t.Helper()
		_, body := get(t, base+"/healthz", operator...)
		var doc struct {
			Status  string   `json:"status"`
			Sources []source `json:"sources"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("healthz: %v\n%s", err, body)
		}
		for _, s := range doc.Sources {
			if s.Name == "planet" {
				return doc.Status, s
			}
		}
		t.Fatalf("healthz lacks planet: %s", body)
		return "", source{}
	}

	// Refused, then skipped while backing off (a minute): at least two
	// collections.
	waitFor(t, "a skipped collection", func() bool { return strings.Contains(logs.String(), "msg=skipped source=planet") })
	status, st := planet()
	if status != "degraded" || len(st.Entries) != 1 {
		t.Fatalf("healthz: status %s, planet %+v; want degraded with one failing entry", status, st)
	}
	e := st.Entries[0]
	if e.URL != feedURL || e.Failures != 1 || e.RetryAt.IsZero() || !strings.Contains(e.LastError, "not public") {
		t.Errorf("entry %+v: want %s, 1 failure, a retry time, the refusal", e, feedURL)
	}
	if !st.LastSuccess.IsZero() || !strings.Contains(st.LastError, "not public") {
		t.Errorf("planet reported as succeeding: last success %s, last error %q", st.LastSuccess, st.LastError)
	}
	if !st.RetryAt.Equal(e.RetryAt) || !st.NextRun.Equal(e.RetryAt) {
		t.Errorf("planet retry_at %s, next_run %s; want both the entry's retry time %s", st.RetryAt, st.NextRun, e.RetryAt)
	}
	if strings.Contains(logs.String(), "msg=collected source=planet") || reqs.Load() != 0 {
		t.Errorf("planet collected while its feed is refused (%d requests):\n%s", reqs.Load(), logs.String())
	}

	// Allowed: fetched at the next collection, not a minute later.
	b, _ = os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"fetch:\n  allow_hosts: [127.0.0.1]\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the listed feed fetched after the reload", func() bool {
		_, body := get(t, base+"/planetfeed.rss")
		return strings.Contains(body, "Listed story")
	})
	waitFor(t, "healthz ok", func() bool {
		status, st := planet()
		return status == "ok" && len(st.Entries) == 0 && st.LastError == "" && st.RetryAt.IsZero()
	})
}
