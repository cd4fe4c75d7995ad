package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestServeWebSub: with websub.hub set, the feeds announce the hub and
// their self URL, and a change to a feed pings a local hub once per feed
// URL; collections that change nothing do not ping.
func TestServeWebSub(t *testing.T) {
	t.Parallel() // in-process, with a run (app.Env) of its own
	hub := newFakeHub(t, nil)
	got := hub.got

	cfg := testSite(t, `    schedule: "@every 1s"`+"\n", map[string]string{"a.txt": story})
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, []byte("websub:\n  hub: "+hub.url+"/hub\n")...), 0o644)
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the feed", func() bool { resp, _ := get(t, base+"/world.atom"); return resp.StatusCode == 200 })
	_, atom := get(t, base+"/world.atom")
	for _, want := range []string{`<link href="` + hub.url + `/hub" rel="hub">`, `<link href="http://news.example/world.atom" rel="self"`} {
		if !strings.Contains(atom, want) {
			t.Errorf("world.atom lacks %s", want)
		}
	}
	// The start-up publication is the baseline, and unchanged collections
	// follow every second: no ping.
	awaitCollections(t, 2, logs.String)
	if p := got(); len(p) != 0 {
		t.Fatalf("pinged without a change: %v", p)
	}

	writeFile(t, filepath.Join(filepath.Dir(cfg), "articles", "b.txt"), "Another story\n\nIts text.\n")
	want := []string{"http://news.example/world.atom", "http://news.example/world.json", "http://news.example/world.rss"}
	waitFor(t, "the pings", func() bool { return len(got()) >= len(want) })
	awaitCollections(t, 2, logs.String) // more collections, nothing new
	if p := got(); !slices.Equal(p, want) {
		t.Errorf("pings %v, want each feed URL once: %v", p, want)
	}
}

// fakeHub is a WebSub hub that records the topics it is told of, after
// calling onPing (if set) with each.
type fakeHub struct {
	url    string
	onPing func(topic string)
	mu     sync.Mutex
	pings  []string
}

func newFakeHub(t *testing.T, onPing func(topic string)) *fakeHub {
	h := &fakeHub{onPing: onPing}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("hub.mode") != "publish" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		topic := r.FormValue("hub.url")
		if h.onPing != nil {
			h.onPing(topic)
		}
		h.mu.Lock()
		h.pings = append(h.pings, topic)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// got is the topics told so far, sorted.
func (h *fakeHub) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.pings)
	slices.Sort(out)
	return out
}

// reset forgets the topics told so far.
func (h *fakeHub) reset() {
	h.mu.Lock()
	h.pings = nil
	h.mu.Unlock()
}
