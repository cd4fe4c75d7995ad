package site

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
)

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "keep.txt")
	os.WriteFile(other, []byte("not ours"), 0o644)

	first := []feed.File{{Path: "a.rss", Body: []byte("A1")}, {Path: "articles/p.html", Body: []byte("P")}, {Path: "b.json", Body: []byte("B")}}
	if err := WriteDir(dir, first); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "b.json"), old, old)

	second := []feed.File{{Path: "a.rss", Body: []byte("A2")}, {Path: "b.json", Body: []byte("B")}}
	if err := WriteDir(dir, second); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(b)
	}
	if got := read("a.rss"); got != "A2" {
		t.Errorf("a.rss = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "articles/p.html")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale page not removed: %v", err)
	}
	if got := read("keep.txt"); got != "not ours" {
		t.Errorf("a file Herald did not write was touched: %q", got)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "b.json")); !fi.ModTime().Equal(old) {
		t.Errorf("unchanged b.json was rewritten (mtime %v)", fi.ModTime())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestWriteDirRefusesEscapes(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"../x", "/etc/x", "a/../../x", ".herald-files", ".herald-lock", "a\tb", "a\nb"} {
		if err := WriteDir(filepath.Join(dir, "out"), []feed.File{{Path: p, Body: []byte("x")}}); err == nil {
			t.Errorf("WriteDir accepted %q", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a file was written outside the output folder")
	}
}

func TestWriteDirFailureKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDir(dir, []feed.File{{Path: "a.rss", Body: []byte("good")}}); err != nil {
		t.Fatal(err)
	}
	// A folder where a file must go makes the write fail.
	os.MkdirAll(filepath.Join(dir, "b.rss"), 0o755)
	err := WriteDir(dir, []feed.File{{Path: "a.rss", Body: []byte("new")}, {Path: "b.rss", Body: []byte("x")}})
	if err == nil {
		t.Fatal("want an error")
	}
	// Nothing was changed: the previous output and its manifest stand.
	if m := ReadManifest(dir); !m.Complete || len(m.Files) != 1 || m.Files["a.rss"].Hash == "" {
		t.Errorf("manifest = %+v", m)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.rss")); string(b) != "good" {
		t.Errorf("a.rss = %q, want the previous output", b)
	}
}
