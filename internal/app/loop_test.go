package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/heraldfeed/herald/internal/config"
)

// fakeMode records what serve's loop asks of a mode.
type fakeMode struct {
	mu        sync.Mutex
	events    []string
	reloadErr error
	running   chan struct{} // closed once run has started
	reloaded  chan struct{} // a value per reload asked
}

func (f *fakeMode) record(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
}

func (f *fakeMode) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *fakeMode) start(context.Context, *config.Config) error { return nil }

func (f *fakeMode) run(ctx context.Context) {
	close(f.running)
	<-ctx.Done()
	f.record("run stopped")
}

func (f *fakeMode) reload(_ context.Context, cfg *config.Config) error {
	f.record("reload " + cfg.Title)
	f.reloaded <- struct{}{}
	return f.reloadErr
}

// loopHarness runs sv.loop over a fake mode and a fake server.
type loopHarness struct {
	env     *Env
	mode    *fakeMode
	cfgPath string
	logs    *bytes.Buffer
	reload  chan struct{}
	srvDone chan error
	cancel  context.CancelFunc
	result  chan error
}

func startLoop(t *testing.T, reloadErr error, first ...string) *loopHarness {
	t.Helper()
	h := &loopHarness{
		mode:    &fakeMode{reloadErr: reloadErr, running: make(chan struct{}), reloaded: make(chan struct{}, 8)},
		cfgPath: filepath.Join(t.TempDir(), "config.yaml"),
		logs:    &bytes.Buffer{},
		reload:  make(chan struct{}),
		srvDone: make(chan error, 1),
		result:  make(chan error, 1),
	}
	h.writeConfig(t, "First", first...)
	h.env = NewEnv()
	if _, err := h.env.loadConfig(h.cfgPath); err != nil { // as Serve does first
		t.Fatal(err)
	}
	var mu sync.Mutex
	sv := &serving{env: h.env, cfgPath: h.cfgPath, log: slog.New(h.env.Handler(slog.NewTextHandler(lockedWriter{&mu, h.logs}, nil)))}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	t.Cleanup(cancel)
	stopServer := func() {
		h.mode.record("server stopped")
		h.srvDone <- nil
	}
	go func() { h.result <- sv.loop(ctx, h.mode, h.reload, h.srvDone, stopServer) }()
	<-h.mode.running
	return h
}

// writeConfig writes a configuration titled title: a feed source whose
// url is http://up.example/feed, then query (without its "?"), then the
// extra lines.
func (h *loopHarness) writeConfig(t *testing.T, title string, queryAndExtra ...string) {
	t.Helper()
	query, extra := "", ""
	if len(queryAndExtra) > 0 {
		query = "?" + queryAndExtra[0]
		extra = strings.Join(queryAndExtra[1:], "")
	}
	body := "title: " + title + "\nbase_url: http://news.example/\nsources:\n  - {name: a, type: feed, url: \"http://up.example/feed" + query + "\"}\nfeeds:\n  - {name: all, title: All, sources: [a]}\n" + extra
	if err := os.WriteFile(h.cfgPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestLoopReloadsOnHangup(t *testing.T) {
	h := startLoop(t, nil)
	h.writeConfig(t, "Second")
	h.reload <- struct{}{}
	<-h.mode.reloaded
	h.writeConfig(t, "Third")
	h.reload <- struct{}{}
	h.cancel()
	if err := <-h.result; err != nil {
		t.Fatalf("loop returned %v after a stop", err)
	}
	want := []string{"reload Second", "reload Third", "run stopped", "server stopped"}
	if got := h.mode.got(); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestLoopKeepsRunningOnBadReload: an invalid configuration never reaches
// the mode, and a mode's refusal is reported; both leave the loop running.
func TestLoopKeepsRunningOnBadReload(t *testing.T) {
	t.Run("invalid config", func(t *testing.T) {
		h := startLoop(t, nil)
		if err := os.WriteFile(h.cfgPath, []byte("title: [\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		h.reload <- struct{}{}
		// Received only once the first is handled: both read the
		// invalid file.
		h.reload <- struct{}{}
		h.writeConfig(t, "Fixed")
		h.reload <- struct{}{}
		<-h.mode.reloaded
		h.cancel()
		<-h.result
		want := []string{"reload Fixed", "run stopped", "server stopped"}
		if got := h.mode.got(); !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		if n := strings.Count(h.logs.String(), "reload failed"); n != 2 {
			t.Errorf("%d reload failures logged, want 2:\n%s", n, h.logs)
		}
	})
	t.Run("mode refuses", func(t *testing.T) {
		h := startLoop(t, errors.New("scheduler: bad spec"))
		h.reload <- struct{}{}
		h.cancel()
		<-h.result
		if !strings.Contains(h.logs.String(), "reload failed; the running configuration stays") || !strings.Contains(h.logs.String(), "bad spec") {
			t.Errorf("refusal not logged:\n%s", h.logs)
		}
		if strings.Contains(h.logs.String(), "configuration reloaded") {
			t.Errorf("a refused reload reported as done:\n%s", h.logs)
		}
	})
}

// TestLoopServerFails: a server that stops by itself stops the mode and
// is the loop's error.
func TestLoopServerFails(t *testing.T) {
	h := startLoop(t, nil)
	h.srvDone <- errors.New("accept: too many open files")
	err := <-h.result
	if err == nil || !strings.Contains(err.Error(), "server: accept: too many open files") {
		t.Errorf("loop returned %v", err)
	}
	if got, want := h.mode.got(), []string{"run stopped"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestLoopRefusedReloadHidesBoth: after a reload the mode refused, the
// running configuration's secrets stay hidden (it goes on running and
// logging), and so do the refused one's (its error may name them).
func TestLoopRefusedReloadHidesBoth(t *testing.T) {
	h := startLoop(t, errors.New("source a: refused"), "session=old-secret-1", "redact_params: [session]\n")
	h.writeConfig(t, "Second", "ticket=new-secret-2", "redact_params: [ticket]\n")
	h.reload <- struct{}{}
	<-h.mode.reloaded
	h.cancel()
	<-h.result
	for _, u := range []string{"http://up.example/feed?session=old-secret-1", "http://up.example/feed?ticket=new-secret-2"} {
		if got := h.env.Redact("fetching " + u); strings.Contains(got, "secret") {
			t.Errorf("after the refused reload, %q", got)
		}
	}
	if !strings.Contains(h.logs.String(), "reload failed") {
		t.Errorf("refusal not logged:\n%s", h.logs)
	}
}
