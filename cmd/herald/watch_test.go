package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// within polls cond for up to d: the watched-folder promise is "about a
// second", so these tests hold it to two.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, d)
}

// TestServeWatchesFolders: with an hourly schedule, a file added to a
// files source's folder is in the feed within 2 s, and so is an edit.
func TestServeWatchesFolders(t *testing.T) {
	t.Parallel() // in-process, with a run (app.Env) of its own
	cfg := testSite(t, `    schedule: "@every 1h"`+"\n", map[string]string{"a.txt": story})
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the feed", func() bool { resp, _ := get(t, base+"/world.rss"); return resp.StatusCode == 200 })
	waitFor(t, "the watcher", func() bool { return strings.Contains(logs.String(), "watching the folder for changes") })
	feedHas := func(s string) bool { _, body := get(t, base+"/world.rss"); return strings.Contains(body, s) }

	added := filepath.Join(filepath.Dir(cfg), "articles", "late", "news.md")
	os.MkdirAll(filepath.Dir(added), 0o755)
	writeFile(t, added, "---\ntitle: Breaking late news\ndate: 2026-03-01\n---\nText.\n")
	within(t, 2*time.Second, "the added file in the feed", func() bool { return feedHas("Breaking late news") })

	// An edit shows too. (A removed file's article stays in the feed's
	// history; the watcher's own test sees removals.)
	writeFile(t, added, "---\ntitle: Breaking late news, corrected\ndate: 2026-03-01\n---\nText.\n")
	within(t, 2*time.Second, "the edited file in the feed", func() bool { return feedHas("Breaking late news, corrected") })
}

// TestServeWatchFallback: a folder that does not exist yet is said to be
// collected as soon as it does (TestServeBeforeTheFolder sees it happen).
func TestServeWatchFallback(t *testing.T) {
	cfg := testSite(t, "  - name: later\n    type: files\n    path: ./not-yet\n", map[string]string{"a.txt": story})
	_, _, logs := startServe(t, cfg)
	waitFor(t, "the warning", func() bool {
		return strings.Contains(logs.String(), "the folder does not exist yet; it is collected as soon as it does") && strings.Contains(logs.String(), "source=later")
	})
}
