package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestServeSeesGenerate: serve and generate on one data_dir. Items that
// generate collected and stored are published by the running serve at
// its next collection, even when that collection itself finds nothing
// new (here the upstream answers it 304: generate took the change).
func TestServeSeesGenerate(t *testing.T) {
	t.Parallel() // in-process, with a run (app.Env) of its own
	var mu sync.Mutex
	items, served := []string{"Alpha"}, 0 // served: answers since the last change
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		etag := fmt.Sprintf(`"v%d"`, len(items))
		// The first request after a change gets it; later conditional
		// ones are told nothing changed, as a server whose validators
		// ignore what the client held would.
		if served > 0 && r.Header.Get("If-None-Match") != "" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		served++
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		var b strings.Builder
		b.WriteString(`<rss version="2.0"><channel><title>t</title>`)
		for _, it := range items {
			fmt.Fprintf(&b, `<item><title>%s</title><guid>%s</guid><pubDate>Mon, 07 Dec 2026 10:00:00 +0000</pubDate></item>`, it, it)
		}
		b.WriteString(`</channel></rss>`)
		w.Write([]byte(b.String()))
	}))
	defer up.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, `title: Shared
base_url: http://news.example/
schedule: "@every 1s"
sources:
  - {name: up, type: feed, url: "`+up.URL+`/feed.xml"}
feeds:
  - {name: world, title: World, sources: [up]}
`)
	base, _, _ := startServe(t, cfg)
	waitFor(t, "serve publishing Alpha", func() bool {
		_, body := get(t, base+"/world.rss")
		return strings.Contains(body, "Alpha")
	})
	mu.Lock()
	items, served = []string{"Alpha", "Beta"}, 0
	mu.Unlock()
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", filepath.Join(dir, "public")); code != exitOK {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	mu.Lock()
	took := served
	mu.Unlock()
	if took != 1 {
		t.Fatalf("the upstream answered %d full requests after the change, want 1 (generate's)", took)
	}
	waitFor(t, "serve publishing what generate stored", func() bool {
		_, body := get(t, base+"/world.rss")
		return strings.Contains(body, "Beta")
	})
}
