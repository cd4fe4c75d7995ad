package websub

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// hub is a local WebSub hub recording publish pings; it fails the first
// fail requests.
type hub struct {
	mu     sync.Mutex
	fail   int
	tries  map[string]int // requests per topic
	ok     map[string]int // accepted pings per topic
	gate   chan struct{}  // if set, each request waits for it
	notify chan struct{}
}

func newHub(t *testing.T, fail int) (*hub, *httptest.Server) {
	h := &hub{fail: fail, tries: map[string]int{}, ok: map[string]int{}, notify: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.gate != nil {
			<-h.gate
		}
		if r.Method != http.MethodPost || r.FormValue("hub.mode") != "publish" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad ping", http.StatusBadRequest)
			return
		}
		topic := r.FormValue("hub.url")
		h.mu.Lock()
		h.tries[topic]++
		failing := h.fail > 0
		if failing {
			h.fail--
		} else {
			h.ok[topic]++
		}
		h.mu.Unlock()
		defer func() { h.notify <- struct{}{} }()
		if failing {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *hub) counts() (tries, ok map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	tries, ok = map[string]int{}, map[string]int{}
	for k, v := range h.tries {
		tries[k] = v
	}
	for k, v := range h.ok {
		ok[k] = v
	}
	return tries, ok
}

func run(t *testing.T, n *Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitPings(t *testing.T, h *hub, n int) {
	t.Helper()
	for range n {
		select {
		case <-h.notify:
		case <-time.After(5 * time.Second):
			t.Fatalf("the hub was not pinged %d times", n)
		}
	}
}

// TestPublishRetried: a hub that fails twice gets the ping a third time,
// after backoff, and each topic is accepted once.
func TestPublishRetried(t *testing.T) {
	h, srv := newHub(t, 2)
	n := New(srv.URL, Options{RetryBase: 10 * time.Millisecond})
	run(t, n)
	n.Publish("http://news.example/world.rss")
	waitPings(t, h, 3)
	tries, ok := h.counts()
	if tries["http://news.example/world.rss"] != 3 || ok["http://news.example/world.rss"] != 1 {
		t.Errorf("tries %v, accepted %v; want 3 tries, 1 accepted", tries, ok)
	}
	// Nothing more comes: one change, one ping.
	select {
	case <-h.notify:
		t.Error("a ping after the change was accepted")
	case <-time.After(100 * time.Millisecond):
	}
}

// TestPublishOncePerChange: two changes, two pings per topic; topics
// queued together while a ping is in flight are each pinged once.
func TestPublishOncePerChange(t *testing.T) {
	h, srv := newHub(t, 0)
	n := New(srv.URL, Options{})
	run(t, n)
	n.Publish("http://x/a.rss", "http://x/a.atom")
	waitPings(t, h, 2)
	n.Publish("http://x/a.rss")
	waitPings(t, h, 1)
	_, ok := h.counts()
	if ok["http://x/a.rss"] != 2 || ok["http://x/a.atom"] != 1 {
		t.Errorf("accepted %v", ok)
	}
}

// TestPublishNeverBlocks: with the hub stuck, Publish still returns at
// once, however often it is called.
func TestPublishNeverBlocks(t *testing.T) {
	h, srv := newHub(t, 0)
	h.gate = make(chan struct{})
	defer close(h.gate)
	n := New(srv.URL, Options{})
	run(t, n)
	done := make(chan struct{})
	go func() {
		for range 1000 {
			n.Publish("http://x/a.rss", "http://x/b.rss")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // a blocking Publish never returns
		t.Fatal("Publish blocked while the hub is stuck")
	}
}
