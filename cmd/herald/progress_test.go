package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/collect"
)

func TestProgressLine(t *testing.T) {
	now := time.Now()
	got := progressLine([]collect.Status{
		{Name: "a", LastRun: now, Items: 40},
		{Name: "b", LastRun: now, Running: true, Items: 7}, // still running: not counted
		{Name: "c"},
		{Name: "d", LastRun: now, Items: 2},
	})
	if want := "collecting: 2/4 sources done, 42 articles read"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestProgressWriter: a log line clears the status line, then the status
// line is drawn again below it; clear leaves no status line.
func TestProgressWriter(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out}
	p.Write([]byte("before\n"))
	p.set("collecting: 0/2")
	p.Write([]byte("level=INFO msg=collected\n"))
	p.clear()
	p.Write([]byte("after\n"))
	want := "before\n" + clearLine + "collecting: 0/2" + clearLine + "level=INFO msg=collected\ncollecting: 0/2" + clearLine + "after\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

// TestGenerateNotOnTerminal: stderr that is not a terminal gets plain log
// lines, no status line.
func TestGenerateNotOnTerminal(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", t.TempDir())
	if code != 0 || strings.Contains(stderr, "\r") || strings.Contains(stderr, "collecting:") || !strings.Contains(stderr, "msg=collected source=articles count=1") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
