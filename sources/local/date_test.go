package local

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/sources/sourcetest"
)

// TestFilesBadDate: a front matter date nothing reads costs neither the
// article nor the source: the file is published, dated by what else it
// says (or its modification time), with a warning naming it and the value.
// date_format layouts are tried first.
func TestFilesBadDate(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	writeTree(t, dir, map[string]string{
		"good.md":      "---\ntitle: Good\ndate: 2024-01-02\n---\nBody.\n",
		"bad.md":       "---\ntitle: Bad\ndate: next tuesday\n---\nBody.\n",
		"bad-both.md":  "---\ntitle: Bad date, good update\ndate: soon\nupdated: 2024-03-04\n---\nBody.\n",
		"european.md":  "---\ntitle: European\ndate: 03/04/2024\n---\nBody.\n",
		"wrongtype.md": "---\ntitle: Wrong type\ndate: [1, 2]\n---\nBody.\n",
	}, mtime)
	var logs bytes.Buffer
	f, err := New(Config{Name: "notes", Path: dir, BaseURL: testBase, DateFormats: []string{"02/01/2006"}}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := sourcetest.For(f).Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v (a bad date must not fail the source)", err)
	}
	dates := map[string]time.Time{}
	for _, a := range got {
		dates[a.Title] = a.Published
	}
	want := map[string]time.Time{
		"Good":                  time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		"Bad":                   mtime,
		"Bad date, good update": time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC),
		"European":              time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC),
		"Wrong type":            mtime,
	}
	for title, w := range want {
		if g, ok := dates[title]; !ok || !g.Equal(w) {
			t.Errorf("%q published %v (present %v), want %v", title, g, ok, w)
		}
	}
	for _, w := range []string{`ignoring date \"next tuesday\"`, "bad.md", `ignoring date \"soon\"`, "bad-both.md", "wrongtype.md"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("logs lack %q:\n%s", w, logs.String())
		}
	}
	if strings.Contains(logs.String(), "good.md") || strings.Contains(logs.String(), "european.md") {
		t.Errorf("a warning for a good date:\n%s", logs.String())
	}
}
