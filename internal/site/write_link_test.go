package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/feed"
)

// snapshot records every entry under dir, links not followed: its kind,
// bytes (or link target) and modification time, so a rewrite with the
// same bytes shows too.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		v := fmt.Sprintf("%v %d", fi.Mode().Type(), fi.ModTime().UnixNano())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			v += " -> " + target
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		}
		m[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWriteRefusesLinks: a link where Write needs a folder or a file
// stops the run with an error naming it; nothing outside the output
// folder changes, and nothing inside it either.
func TestWriteRefusesLinks(t *testing.T) {
	prev := []feed.File{
		{Path: "world.rss", Body: []byte("old feed")},
		{Path: "articles/old.html", Body: []byte("old page"), Source: "s"},
	}
	next := []feed.File{
		{Path: "world.rss", Body: []byte("new feed")},
		{Path: "articles/new.html", Body: []byte("new page"), Source: "s"},
	}
	tests := []struct {
		name  string
		link  string      // the path replaced by a link to outside
		files []feed.File // this run's files
		want  string      // in the error
	}{
		{name: "articles folder", link: "articles", files: next, want: "articles is a symbolic link"},
		{name: "articles folder, stale pages only", link: "articles", files: next[:1], want: "articles is a symbolic link"},
		{name: "feed file", link: "world.rss", files: next, want: "world.rss is a symbolic link"},
		{name: "feed file, same bytes", link: "world.rss", files: []feed.File{{Path: "world.rss", Body: []byte("victim")}}, want: "world.rss is a symbolic link"},
		{name: "nested folder", link: "articles", files: []feed.File{{Path: "articles/2026/p.html", Body: []byte("p")}}, want: "articles/2026/p.html: articles is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, outside := filepath.Join(t.TempDir(), "public"), t.TempDir()
			if err := WriteDir(out, prev); err != nil {
				t.Fatal(err)
			}
			// Outside: what a link may point at, with the names Write
			// would write, remove or clean up there.
			for name, body := range map[string]string{"victim": "victim", "old.html": "not Herald's", "new.html": "not Herald's", ".old.html.123.4.tmp": "not Herald's"} {
				if err := os.WriteFile(filepath.Join(outside, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			target := outside
			if tt.link == "world.rss" {
				target = filepath.Join(outside, "victim")
			}
			if err := os.RemoveAll(filepath.Join(out, tt.link)); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(out, tt.link)); err != nil {
				t.Fatal(err)
			}
			beforeOut, beforeOutside := snapshot(t, out), snapshot(t, outside)

			err := WriteDir(out, tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
			if d := diffTrees(beforeOutside, snapshot(t, outside)); d != "" {
				t.Errorf("outside the output folder changed:\n%s", d)
			}
			if d := diffTrees(beforeOut, snapshot(t, out)); d != "" {
				t.Errorf("the refused run changed the output folder:\n%s", d)
			}
		})
	}
}

// TestWriteStaleLink: a stale page that is a link is removed as a link;
// its target stays.
func TestWriteStaleLink(t *testing.T) {
	out, outside := filepath.Join(t.TempDir(), "public"), t.TempDir()
	if err := WriteDir(out, []feed.File{{Path: "world.rss", Body: []byte("f")}, {Path: "articles/old.html", Body: []byte("old"), Source: "s"}, {Path: "old.rss", Body: []byte("o")}}); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("victim"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"articles/old.html", "old.rss"} {
		os.Remove(filepath.Join(out, p))
		if err := os.Symlink(victim, filepath.Join(out, p)); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, outside)
	if err := WriteDir(out, []feed.File{{Path: "world.rss", Body: []byte("f2")}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"articles/old.html", "old.rss"} {
		if _, err := os.Lstat(filepath.Join(out, p)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale link %s: %v, want it removed", p, err)
		}
	}
	if d := diffTrees(before, snapshot(t, outside)); d != "" {
		t.Errorf("a link's target changed:\n%s", d)
	}
}

// TestWriteLinkedOutputFolder: the output folder itself may be a link
// (the operator's choice); Write writes into its target.
func TestWriteLinkedOutputFolder(t *testing.T) {
	base := t.TempDir()
	real, link := filepath.Join(base, "real"), filepath.Join(base, "public")
	os.Mkdir(real, 0o755)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(link, []feed.File{{Path: "articles/p.html", Body: []byte("p")}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(real, "articles/p.html")); err != nil || string(b) != "p" {
		t.Errorf("p.html = %q, %v", b, err)
	}
}

// TestLinkedBookkeeping: a manifest or lock file that is a link is not
// read, written or locked through.
func TestLinkedBookkeeping(t *testing.T) {
	out, outside := t.TempDir(), t.TempDir()
	// A planted manifest naming a file outside as Herald's (through a
	// link that the run would otherwise remove).
	fake := filepath.Join(outside, "fake-manifest")
	os.WriteFile(fake, []byte(manifestComplete+"\nvictim\t\t0\t0\ts\n"), 0o644)
	os.WriteFile(filepath.Join(outside, "victim"), []byte("victim"), 0o644)
	if err := os.Symlink(fake, filepath.Join(out, manifestName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "lock"), filepath.Join(out, lockName)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, outside)
	if m := ReadManifest(out); len(m.Files) != 0 {
		t.Errorf("manifest read through a link: %+v", m)
	}
	if unlock, err := Lock(out); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Lock = %v, want a symbolic link error", err)
		if err == nil {
			unlock()
		}
	}
	if err := WriteDir(out, []feed.File{{Path: "world.rss", Body: []byte("f")}}); err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(before, snapshot(t, outside)); d != "" {
		t.Errorf("outside changed:\n%s", d)
	}
	if fi, err := os.Lstat(filepath.Join(out, manifestName)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("manifest: %v, %v; want Herald's own, replacing the link", fi, err)
	}
}
