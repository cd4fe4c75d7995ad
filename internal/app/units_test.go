package app

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/internal/collect"
)

func TestInsertBlock(t *testing.T) {
	entry := "  - name: x\n    type: feed\n"
	tests := []struct{ name, in, want string }{
		{"indented list, trailing comment stays with the next key",
			"sources:\n  - name: a\n    type: files\n\n# feeds below\nfeeds: []\n",
			"sources:\n  - name: a\n    type: files\n  - name: x\n    type: feed\n\n# feeds below\nfeeds: []\n"},
		{"dash at column 0", "sources:\n- name: a\n  type: files\n", "sources:\n- name: a\n  type: files\n- name: x\n  type: feed\n"},
		{"no final newline", "sources:\n  - name: a", "sources:\n  - name: a\n  - name: x\n    type: feed\n"},
		{"key missing", "title: t\n", "title: t\nsources:\n  - name: x\n    type: feed\n"},
		{"CRLF kept", "sources:\r\n  - name: a\r\nfeeds:\r\n", "sources:\r\n  - name: a\r\n  - name: x\r\n    type: feed\r\nfeeds:\r\n"},
		{"four spaces", "sources:  # mine\n    - name: a\nfeeds:\n", "sources:  # mine\n    - name: a\n    - name: x\n      type: feed\nfeeds:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := insertBlock([]byte(tt.in), "sources", entry)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := insertBlock([]byte("sources: [a]\n"), "sources", entry); err == nil {
		t.Error("flow style: no error")
	}
}

func TestDifferentAddr(t *testing.T) {
	tests := []struct {
		addr, base string
		warn       bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/", false},
		{":8080", "http://news.example:8080/", false},
		{"127.0.0.1:9000", "http://127.0.0.1:8080/", true},
		{"127.0.0.1:80", "http://news.example/", true},
		{"news.example:443", "https://news.example/", false},
	}
	for _, tt := range tests {
		if _, got := differentAddr(tt.addr, tt.base); got != tt.warn {
			t.Errorf("differentAddr(%q, %q) = %v, want %v", tt.addr, tt.base, got, tt.warn)
		}
	}
}

func TestArticlesPerDay(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	got := articlesPerDay([]time.Time{
		at(0), at(-14 * time.Hour), // today (since midnight UTC)
		at(-16 * time.Hour),     // yesterday
		at(-3 * 24 * time.Hour), // 3 days ago
		at(-4 * 24 * time.Hour), // outside a 4-day window
		at(48 * time.Hour),      // the future: not counted
	}, now, 4)
	if want := []int{1, 0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("articlesPerDay = %v, want %v", got, want)
	}
}

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
	p := &Progress{w: &out}
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
