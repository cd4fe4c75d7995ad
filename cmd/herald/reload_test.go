package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestServeReloadOnSIGHUP(t *testing.T) {
	cfg := site(t, "", map[string]string{"a.txt": "Reload story\n\nBody.\n"})
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the feed", func() bool {
		_, body := get(t, base+"/world.rss")
		return strings.Contains(body, "<title>World</title>")
	})
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// An invalid config is reported and the running one stays.
	writeFile(t, cfg, string(good)+"bogus_key: 1\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the reload error", func() bool { return strings.Contains(logs.String(), "reload failed") })
	if !strings.Contains(logs.String(), "bogus_key") {
		t.Errorf("the reload error does not name the key:\n%s", logs.String())
	}
	if resp, body := get(t, base+"/world.rss"); resp.StatusCode != 200 || !strings.Contains(body, "Reload story") {
		t.Errorf("feed after a failed reload: %d", resp.StatusCode)
	}

	// A valid one takes effect, keeping the articles.
	writeFile(t, cfg, strings.Replace(string(good), "title: World", "title: Renamed world", 1))
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the new title", func() bool {
		_, body := get(t, base+"/world.rss")
		return strings.Contains(body, "<title>Renamed world</title>") && strings.Contains(body, "Reload story")
	})
}

// TestReloadKeepsSourceMemory: a reload with a source's configuration
// unchanged keeps that source, and with it the first-seen date of an
// undated item and the validators for conditional GET.
func TestReloadKeepsSourceMemory(t *testing.T) {
	var mu sync.Mutex
	var conditional []bool // per request: did it carry If-None-Match?
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conditional = append(conditional, r.Header.Get("If-None-Match") == `"v1"`)
		mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Up</title><link>http://up/</link><description>d</description><item><title>Undated item</title><link>http://up/1</link></item></channel></rss>`)
	}))
	defer up.Close()
	requests := func() []bool {
		mu.Lock()
		defer mu.Unlock()
		return append([]bool(nil), conditional...)
	}

	cfg := site(t, fmt.Sprintf("  - {name: up, type: feed, url: %s/feed.xml, schedule: \"@every 1s\"}\n", up.URL), nil)
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"  - {name: upf, title: Up, sources: [up]}\n")
	base, _, logs := startServe(t, cfg)

	datePublished := func() string {
		_, body := get(t, base+"/upf.json")
		m := regexp.MustCompile(`"date_published":"([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	var first string
	waitFor(t, "the upstream item", func() bool { first = datePublished(); return first != "" })
	time.Sleep(1100 * time.Millisecond) // so a new first-seen date would differ

	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(logs.String(), "configuration reloaded") })
	n := len(requests())
	waitFor(t, "a collection after the reload", func() bool { return len(requests()) > n })

	if got := datePublished(); got != first {
		t.Errorf("undated item's date changed across the reload: %s, then %s", first, got)
	}
	if r := requests(); !r[len(r)-1] {
		t.Error("the request after the reload was not conditional")
	}
}
