package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHelpHelp: help describes itself like any command.
func TestHelpHelp(t *testing.T) {
	code, stdout, stderr := runCmd(t, "help", "help")
	if code != exitOK || !strings.Contains(stdout, "herald help serve") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, name := range []string{"init", "healthcheck"} {
		if code, stdout, _ := runCmd(t, "help", name); code != exitOK || !strings.Contains(stdout, "Example:\n  herald "+name) {
			t.Errorf("help %s: exit %d\n%s", name, code, stdout)
		}
	}
}

// TestInit: init writes a starter that checks, generates and serves at
// once, and refuses to overwrite anything.
func TestInit(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "site", "config.yaml")
	code, stdout, stderr := runCmd(t, "init", "--config", cfg)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	for _, f := range []string{cfg, filepath.Join(dir, "site", "articles", "welcome.md")} {
		if !strings.Contains(stdout, f) {
			t.Errorf("init did not say it wrote %s:\n%s", f, stdout)
		}
	}
	before, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(before), "# ") {
		t.Error("the starter config has no comments")
	}
	if code, _, stderr := runCmd(t, "check", "--config", cfg); code != exitOK {
		t.Fatalf("check of the starter: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "public")
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != exitOK {
		t.Fatalf("generate of the starter: exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, "world.rss")); err != nil || !strings.Contains(string(b), "Welcome to Herald") {
		t.Errorf("world.rss lacks the example article: %v", err)
	}

	// Again: refused, nothing changed, exit 2 with the reason only.
	os.WriteFile(cfg, append(before, "# mine\n"...), 0o644)
	code, _, stderr = runCmd(t, "init", "--config", cfg)
	if code != exitUsage || !strings.Contains(stderr, "exists") || strings.Contains(stderr, "Commands:") {
		t.Errorf("second init: exit %d, stderr:\n%s", code, stderr)
	}
	if after, _ := os.ReadFile(cfg); string(after) != string(before)+"# mine\n" {
		t.Error("second init changed the config")
	}
	// An example article that was edited is not overwritten, and the
	// config is not written either.
	welcome := filepath.Join(dir, "site", "articles", "welcome.md")
	mine, _ := os.ReadFile(welcome)
	mine = append(mine, "Edited.\n"...)
	os.WriteFile(welcome, mine, 0o644)
	cfg2 := filepath.Join(dir, "site", "other.yaml")
	if code, _, _ := runCmd(t, "init", "--config", cfg2); code != exitUsage {
		t.Errorf("init over an edited articles/welcome.md: exit %d", code)
	}
	if _, err := os.Stat(cfg2); err == nil {
		t.Error("init wrote a config although it refused")
	}
	if b, _ := os.ReadFile(welcome); string(b) != string(mine) {
		t.Error("init overwrote the edited article")
	}
}

// TestInitInterrupted: an init that stopped half-way (the article
// written, not the config) is finished by the next one, which keeps what
// the first wrote; files appear whole or not at all (no temporary left).
func TestInitInterrupted(t *testing.T) {
	dir, cfg := starterSite(t)
	welcome := filepath.Join(dir, "articles", "welcome.md")
	before, _ := os.ReadFile(welcome)
	os.Remove(cfg)
	code, stdout, stderr := runCmd(t, "init", "--config", cfg)
	if code != exitOK || !strings.Contains(stdout, "wrote "+cfg) || strings.Contains(stdout, "wrote "+welcome) {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if after, _ := os.ReadFile(welcome); string(after) != string(before) {
		t.Error("the article was rewritten")
	}
	if code, stdout, _ := runCmd(t, "init", "--config", cfg); code != exitOK || !strings.Contains(stdout, "nothing to write") {
		t.Errorf("init over its own untouched starter: exit %d\n%s", code, stdout)
	}
	for _, d := range []string{dir, filepath.Join(dir, "articles")} {
		if left, _ := filepath.Glob(filepath.Join(d, ".herald-init-*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
}

// starterSite writes herald init's site in a new folder and returns the
// folder and its config.
func starterSite(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	cfg = filepath.Join(dir, "config.yaml")
	if code, _, stderr := runCmd(t, "init", "--config", cfg); code != exitOK {
		t.Fatal(stderr)
	}
	return dir, cfg
}

// TestMissingConfig: the message says what to do.
func TestMissingConfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "config.yaml")
	for _, cmd := range []string{"check", "serve", "generate"} {
		code, _, stderr := runCmd(t, cmd, "--config", missing)
		if code != exitUsage || !strings.Contains(stderr, "herald init --config "+missing) || strings.Contains(stderr, "Commands:") {
			t.Errorf("%s: exit %d, stderr:\n%s", cmd, code, stderr)
		}
	}
}

// TestDataDirOverride: --data-dir, else HERALD_DATA_DIR, replaces the
// config's data_dir; a store that cannot be opened is exit status 5.
func TestDataDirOverride(t *testing.T) {
	dir, cfg := starterSite(t)
	flagDir, envDir := filepath.Join(dir, "flag-state"), filepath.Join(dir, "env-state")
	t.Setenv("HERALD_DATA_DIR", envDir)
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", filepath.Join(dir, "a"), "--data-dir", flagDir); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", filepath.Join(dir, "b")); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, d := range []string{flagDir, envDir} {
		if _, err := os.Stat(filepath.Join(d, "herald.db")); err != nil {
			t.Errorf("no database in %s: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("the config's data_dir was used despite the override")
	}
	// A data_dir that is a file: the store cannot be opened.
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", filepath.Join(dir, "c"), "--data-dir", blocker)
	if code != exitStore || !strings.Contains(stderr, "herald: store:") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitStore, stderr)
	}
}

// TestHealthcheck: 0 against a serving herald, 1 where nothing answers.
func TestHealthcheck(t *testing.T) {
	_, cfg := starterSite(t)
	base, _, _ := startServe(t, cfg)
	addr := strings.TrimPrefix(base, "http://")
	if code, stdout, stderr := runCmd(t, "healthcheck", "--addr", addr); code != exitOK || !strings.Contains(stdout, `"status"`) {
		t.Errorf("healthy: exit %d\n%s%s", code, stdout, stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if code, _, stderr := runCmd(t, "healthcheck", "--addr", closed); code != exitPartial || !strings.Contains(stderr, "healthcheck") {
		t.Errorf("nothing listening: exit %d\n%s", code, stderr)
	}
	if code, _, _ := runCmd(t, "healthcheck", "--addr", "nonsense"); code != exitUsage {
		t.Errorf("bad address: exit %d", code)
	}
}

// TestServeBeforeTheFolder: serve started before its articles folder
// exists says why its feed is not there yet, notices the folder once it
// is created (not at the next scheduled collection, an hour away) and
// publishes it; it says at start where its feeds are.
func TestServeBeforeTheFolder(t *testing.T) {
	t.Parallel() // in-process, with a run (app.Env) of its own
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, `title: Later
base_url: http://news.example/
schedule: "@every 1h"
sources:
  - {name: notes, type: files, path: ./notes}
feeds:
  - {name: world, title: World, sources: [notes]}
`)
	base, _, logs := startServe(t, cfg)
	if !strings.Contains(logs.String(), "msg=feed feed=world url=http://news.example/world.rss") {
		t.Errorf("the feed's URL is not said at start:\n%s", logs.String())
	}
	waitFor(t, "the failed first collection", func() bool { return strings.Contains(logs.String(), "collection failed") })
	resp, body := get(t, base+"/world.rss")
	if resp.StatusCode != 503 || !strings.Contains(body, "no articles yet") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("before the folder: %d %q", resp.StatusCode, body)
	}
	writeFile(t, filepath.Join(dir, "notes", "first.txt"), "The first note\n\nIt exists now.\n")
	waitFor(t, "the feed once the folder exists", func() bool {
		resp, body := get(t, base+"/world.rss")
		return resp.StatusCode == 200 && strings.Contains(body, "The first note")
	})
}

// TestServePortTakenFirst: a port in use fails before anything is
// collected: no upstream is asked.
func TestServePortTakenFirst(t *testing.T) {
	var requests atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<rss version="2.0"><channel><title>t</title><item><title>i</title><guid>1</guid></item></channel></rss>`)
	}))
	defer up.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, cfg, "title: T\nbase_url: http://x.example/\nsources:\n  - {name: up, type: feed, url: \""+up.URL+"/feed.xml\"}\nfeeds:\n  - {name: world, title: W, sources: [up]}\n")
	code, _, stderr := runCmd(t, "serve", "--config", cfg, "--addr", ln.Addr().String())
	if code != exitListen || !strings.Contains(stderr, "address already in use") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the upstream was asked %d times before serve found its port taken", n)
	}
}
