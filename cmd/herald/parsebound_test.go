package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeSIGTERMWhileParsing: `herald serve` over a folder of 1 MB
// Markdown files that goldmark parses in time squared ("[a](" repeated:
// 273 s each before the parse bounds) exits on SIGTERM within the
// server's shutdown grace (internal/server shutdownGrace, 5 s) while it
// is parsing them. Eight files keep every collection worker busy for
// longer than the grace even under the 2 s parse bound, so only
// cancellation reaching the parse gets it out in time.
func TestServeSIGTERMWhileParsing(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	if testing.Short() {
		t.Skip("runs herald serve")
	}
	const grace = 5 * time.Second
	dir := t.TempDir()
	for i := range 8 {
		writeFile(t, filepath.Join(dir, "articles", fmt.Sprintf("slow-%d.md", i)), "# Slow\n\n"+strings.Repeat("[a](", 250000))
	}
	cfg := filepath.Join(dir, "herald.yaml")
	writeFile(t, cfg, `title: Bounds test
base_url: http://news.example/
sources:
  - name: notes
    type: files
    path: ./articles
feeds:
  - name: all
    title: All
    sources: [notes]
`)
	logs := &syncBuffer{}
	cmd := herald("serve", "--config", cfg, "--addr", "127.0.0.1:0")
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	// Serving, and a moment into the first collection's parses.
	serving := regexp.MustCompile(`msg=serving `)
	deadline := time.Now().Add(15 * time.Second)
	for !serving.MatchString(logs.String()) {
		if time.Now().After(deadline) {
			t.Fatal("herald serve did not start")
		}
		select {
		case err := <-done:
			t.Fatalf("herald serve exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Logf("exited %v after SIGTERM (%v)", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(grace):
		t.Fatalf("still running %v after SIGTERM", grace)
	}
}
