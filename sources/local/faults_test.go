package local

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/sources/sourcetest"
)

func TestFilesSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "passwd")
	mtime := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	writeTree(t, dir, map[string]string{"sub/real.txt": "Real story\n\nBody.\n"}, mtime)
	os.WriteFile(outside, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644)
	for link, target := range map[string]string{"passwd.txt": outside, "alias.txt": filepath.Join(dir, "sub/real.txt"), "rel.txt": "sub/real.txt", "up.txt": "../" + filepath.Base(filepath.Dir(outside)) + "/passwd"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	titles := func(follow bool) (map[string]int, string) {
		var logs bytes.Buffer
		f, err := New(Config{Name: "n", Path: dir, BaseURL: testBase, FollowSymlinks: follow}, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		arts, err := sourcetest.For(f).Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, a := range arts {
			m[a.Title]++
		}
		return m, logs.String()
	}
	got, logs := titles(false)
	if got["Real story"] != 3 || len(got) != 1 {
		t.Errorf("titles = %v, want the real story three times (file, absolute and relative link) and nothing else", got)
	}
	if !strings.Contains(logs, "passwd.txt") || !strings.Contains(logs, "follow_symlinks") {
		t.Errorf("no warning naming the link:\n%s", logs)
	}
	if got, _ := titles(true); got["root:x:0:0:root:/root:/bin/bash"] == 0 {
		t.Errorf("with follow_symlinks the outside file is published: %v", got)
	}
}

// TestFilesFolderMovedDuringCollection: a folder moves away between
// listing and reading: the collection fails as a whole (no partial
// result replaces the last good one) with a one-line error.
func TestFilesFolderMovedDuringCollection(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "articles")
	files := map[string]string{}
	for i := range 500 {
		files[fmt.Sprintf("sub/story-%04d.txt", i)] = fmt.Sprintf("Story %d\n\nBody.\n", i)
	}
	writeTree(t, dir, files, time.Now())
	f := newFolder(t, dir, nil)
	f.afterWalk = func() { os.Rename(filepath.Join(dir, "sub"), filepath.Join(parent, "moved")) }
	arts, err := sourcetest.For(f).Collect(context.Background())
	if err == nil || arts != nil {
		t.Fatalf("got %d articles, err %v; want none and an error", len(arts), err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 300 || !strings.Contains(msg, "500") {
		t.Errorf("error is %d bytes, want one short line counting 500 files:\n%.500s", len(msg), msg)
	}
}

func TestFilesErrorIsShort(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"good.txt": "Good\n\nBody.\n"}
	for i := range 50 {
		files[fmt.Sprintf("broken-%02d.md", i)] = "---\ntitle: [oops\n---\nBody.\n"
	}
	writeTree(t, dir, files, time.Now())
	arts, err := sourcetest.For(newFolder(t, dir, nil)).Collect(context.Background())
	if len(arts) != 1 || err == nil {
		t.Fatalf("got %d articles, err %v", len(arts), err)
	}
	if n := strings.Count(err.Error(), "reading "); n != 5 || !strings.Contains(err.Error(), "and 45 more") {
		t.Errorf("error lists %d files, want 5 and a count of the rest:\n%v", n, err)
	}
}

func TestFilesControlOnlySkipped(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"nul.txt":   strings.Repeat("\x00", 64) + "\n\x01\x02\n",
		"ctl.md":    "\x07\x08\x1b\n",
		"good.txt":  "Good\n\nBody.\n",
		"zwsp.html": "<title>\u200b</title><p>\x00</p>",
	}, time.Now())
	var logs bytes.Buffer
	arts, err := sourcetest.For(newFolder(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Title != "Good" {
		t.Errorf("articles = %+v, want only Good", arts)
	}
	for _, name := range []string{"nul.txt", "ctl.md"} {
		if !strings.Contains(logs.String(), name) {
			t.Errorf("no warning for %s:\n%s", name, logs.String())
		}
	}
}
