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
	cfg := testSite(t, "", map[string]string{"a.txt": "Reload story\n\nBody.\n"})
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
// unchanged keeps that source's state: the first-seen date of an undated
// item and the validators for conditional GET. Writing a default value
// out (full_text: false) is no change. A reload that changes the source's
// configuration starts its state fresh (an unconditional request), but
// the article history is the source's, by name: the item keeps the date
// it was stored with.
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

	source := fmt.Sprintf("  - {name: up, type: feed, url: %s/feed.xml, schedule: \"@every 1s\"", up.URL)
	cfg := testSite(t, source+"}\n", nil)
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(b)+"  - {name: upf, title: Up, sources: [up]}\n")
	reloadWith := func(from, to string) {
		t.Helper()
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), from) {
			t.Fatalf("config lacks %q", from)
		}
		writeFile(t, cfg, strings.Replace(string(b), from, to, 1))
	}
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

	// reload reloads the configuration, waits for a collection after it,
	// and returns the requests made since the signal: the old
	// configuration's last ones (all conditional), then the new one's.
	reloads := 0
	reload := func() []bool {
		t.Helper()
		reloads++
		n := len(requests())
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
		waitFor(t, "the reload", func() bool { return strings.Count(logs.String(), "configuration reloaded") == reloads })
		m := len(requests())
		waitFor(t, "a collection after the reload", func() bool { return len(requests()) > m })
		return requests()[n:]
	}
	countConditional := func(r []bool) int {
		n := 0
		for _, c := range r {
			if c {
				n++
			}
		}
		return n
	}

	reloadWith(source+"}", source+", full_text: false}")
	if r := reload(); countConditional(r) != len(r) {
		t.Errorf("requests after the reload, conditional or not: %v; want all conditional", r)
	}
	if got := datePublished(); got != first {
		t.Errorf("undated item's date changed across the reload: %s, then %s", first, got)
	}

	// A changed configuration: the source starts fresh.
	reloadWith("full_text: false}", "full_text: false, timezone: Europe/Paris}")
	if r := reload(); countConditional(r) == len(r) {
		t.Errorf("requests after a configuration change, conditional or not: %v; want an unconditional one", r)
	}
	if got := datePublished(); got != first {
		t.Errorf("the stored item's date moved after a configuration change: %s, then %s", first, got)
	}
}
