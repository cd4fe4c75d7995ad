package site

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/smallfs"

	"github.com/heraldfeed/herald/feed"
)

// tree reads every file and folder under dir by slash path, Herald's
// bookkeeping files aside.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel != "." {
				m[filepath.ToSlash(rel)+"/"] = ""
			}
			return nil
		}
		if d.Name() == lockName || d.Name() == manifestName {
			return nil // bookkeeping: modification times differ run to run
		}
		b, err := os.ReadFile(p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func diffTrees(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "only before: "+k)
		} else if w != v {
			out = append(out, "differs: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "only after: "+k)
		}
	}
	return strings.Join(out, "\n")
}

// TestWriteComparesContent: a file whose bytes changed behind the
// manifest's back (as an interrupted run leaves it) is rewritten even when
// its size is the recorded one.
func TestWriteComparesContent(t *testing.T) {
	dir := t.TempDir()
	a := []feed.File{{Path: "x.rss", Body: []byte("AAAA")}, {Path: "articles/p.html", Body: []byte("PPPP"), Source: "s"}}
	if err := WriteDir(dir, a); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"x.rss", "articles/p.html"} {
		os.WriteFile(filepath.Join(dir, p), []byte("BBBB"), 0o644) // same size, other bytes
	}
	if err := WriteDir(dir, a); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); got["x.rss"] != "AAAA" || got["articles/p.html"] != "PPPP" {
		t.Errorf("files of another run stayed: %q %q", got["x.rss"], got["articles/p.html"])
	}
}

// TestWriteAfterInterruptedJournal: a run killed after renaming some
// files leaves an incomplete manifest that lists what it may have
// created; the next run removes those files and trusts no hash.
func TestWriteAfterInterruptedJournal(t *testing.T) {
	dir := t.TempDir()
	a := []feed.File{{Path: "x.rss", Body: []byte("AAAA")}}
	if err := WriteDir(dir, a); err != nil {
		t.Fatal(err)
	}
	clean := tree(t, dir)
	// What a run of another config killed between its journal and its
	// last rename leaves.
	m := ReadManifest(dir)
	m.Complete = false
	m.Files["articles/orphan.html"] = Entry{Source: "s"}
	m.Files["x.rss"] = Entry{Hash: m.Files["x.rss"].Hash}
	os.WriteFile(filepath.Join(dir, manifestName), m.encode(), 0o644)
	os.MkdirAll(filepath.Join(dir, "articles"), 0o755)
	os.WriteFile(filepath.Join(dir, "articles/orphan.html"), []byte("orphan"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.rss"), []byte("BBBB"), 0o644)
	os.WriteFile(filepath.Join(dir, ".x.rss.123.4.tmp"), []byte("half"), 0o644)
	os.WriteFile(filepath.Join(dir, "articles/.orphan.html.123.5.tmp"), []byte("half"), 0o644)

	if err := WriteDir(dir, a); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dir)
	delete(got, "articles/") // an emptied folder may stay
	if d := diffTrees(clean, got); d != "" {
		t.Errorf("output differs from a clean run's:\n%s", d)
	}
	if m := ReadManifest(dir); !m.Complete || len(m.Files) != 1 {
		t.Errorf("manifest = %+v, want complete with x.rss", m)
	}
}

// TestWriteKeep: paths keep says so for stay, with their bytes, and stay
// in the manifest.
func TestWriteKeep(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDir(dir, []feed.File{{Path: "x.rss", Body: []byte("x")}, {Path: "articles/a.html", Body: []byte("a"), Source: "down"}, {Path: "articles/b.html", Body: []byte("b"), Source: "up"}}); err != nil {
		t.Fatal(err)
	}
	keepDown := func(p, src string) bool { return src == "down" }
	for range 2 {
		if err := Write(dir, []feed.File{{Path: "x.rss", Body: []byte("y")}}, keepDown); err != nil {
			t.Fatal(err)
		}
	}
	got := tree(t, dir)
	if got["articles/a.html"] != "a" {
		t.Error("a kept page was removed")
	}
	if _, ok := got["articles/b.html"]; ok {
		t.Error("a stale page was not removed")
	}
	if e, ok := ReadManifest(dir).Files["articles/a.html"]; !ok || e.Source != "down" {
		t.Errorf("kept page not in the manifest: %+v", e)
	}
}

// TestWriteDiskFull fills a small file system: the run fails with one
// error, removes the temporary files and folders it created, and the
// previous output (and its manifest) is left exactly as it was; a later
// run that fits succeeds.
func TestWriteDiskFull(t *testing.T) {
	dir := smallfs.Mount(t, 256<<10)
	out := filepath.Join(dir, "public")
	small := []feed.File{{Path: "x.rss", Body: bytes.Repeat([]byte("a"), 10<<10)}, {Path: "articles/old.html", Body: []byte("old"), Source: "s"}}
	if err := WriteDir(out, small); err != nil {
		t.Fatal(err)
	}
	before := tree(t, out)

	var big []feed.File
	for i := range 64 {
		big = append(big, feed.File{Path: fmt.Sprintf("articles/new/p%02d.html", i), Body: bytes.Repeat([]byte("b"), 16<<10), Source: "s"})
	}
	big = append(big, feed.File{Path: "x.rss", Body: []byte("new feed")})
	err := WriteDir(out, big)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if n := strings.Count(err.Error(), "\n"); n > 0 {
		t.Errorf("error has %d lines, want one: %v", n+1, err)
	}
	if d := diffTrees(before, tree(t, out)); d != "" {
		t.Errorf("a failed run changed the output:\n%s", d)
	}
	if err := WriteDir(out, big[60:]); err != nil {
		t.Fatalf("a run that fits: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "articles/old.html")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a stale page outlived a successful run")
	}
}

// TestLock: a second Lock on one folder fails naming it; after unlock it
// succeeds.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Errorf("second Lock: %v, want ErrLocked naming %s", err, dir)
	}
	unlock()
	unlock2, err := Lock(dir)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
}

// TestKeepFailed: a failed source's pages stay, and so do the previous
// files of the feeds merging it and index.html; a feed without it is
// updated.
func TestKeepFailed(t *testing.T) {
	day := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	art := func(id string) feed.Article {
		return feed.Article{ID: "https://e.org/" + id, URL: "https://e.org/" + id, Title: "Title " + id, Content: "<p>" + id + "</p>", Published: day, Updated: day}
	}
	page := art("p")
	page.ID, page.Page, page.Source = "urn:uuid:1", "articles/p-1.html", "down"
	s := Site{Title: "Test", BaseURL: "https://news.example/", Feeds: []FeedSpec{
		{Name: "all", Title: "All", Sources: []string{"up", "down"}, Filter: feed.Filter{Limit: 50}},
		{Name: "first", Title: "First", Sources: []string{"up"}, Filter: feed.Filter{Limit: 50}},
	}}
	dir := t.TempDir()
	b := New(s, Options{Log: testLog(t, day, map[string][]feed.Article{"up": {art("u1")}, "down": {page}})})
	files := buildAll(t, b, []Input{
		{Name: "up", Collected: true, OK: true},
		{Name: "down", Collected: true, OK: true},
	}, day)
	if err := Write(dir, files, nil); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)

	// The next run (--no-store: nothing of down is kept): down fails, up
	// has a new article.
	b = New(s, Options{Log: testLog(t, day, map[string][]feed.Article{"up": {art("u1"), art("u2")}})})
	files = buildAll(t, b, []Input{
		{Name: "up", Collected: true, OK: true},
		{Name: "down", Collected: true},
	}, day)
	files, keep := b.KeepFailed(files, []string{"down"}, ReadManifest(dir))
	if err := Write(dir, files, keep); err != nil {
		t.Fatal(err)
	}
	after := tree(t, dir)
	for _, path := range []string{"articles/p-1.html", "all.rss", "all.atom", "all.json", "index.html"} {
		if after[path] == "" || after[path] != before[path] {
			t.Errorf("%s was not kept as it was", path)
		}
	}
	if !strings.Contains(after["first.json"], "u2") {
		t.Error("a feed without the failed source was not updated")
	}
}
