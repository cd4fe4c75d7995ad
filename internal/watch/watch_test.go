package watch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan struct{}, 10)
	wait, err := Watch(ctx, dir, 20*time.Millisecond, func() { changes <- struct{}{} }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wait() }()
	expect := func(what string, want bool) {
		t.Helper()
		select {
		case <-changes:
			if !want {
				t.Errorf("%s: reported a change", what)
			}
		case <-time.After(500 * time.Millisecond):
			if want {
				t.Errorf("%s: no change reported", what)
			}
		}
	}
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", "# A\n")
	expect("a file added", true)
	write("a.md", "# A, edited\n")
	expect("a file changed", true)
	write(".a.md.swp", "x")
	expect("a hidden file", false)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	expect("a folder added", true)
	write("sub/b.md", "# B\n")
	expect("a file in a new folder", true)
	os.Remove(filepath.Join(dir, "a.md"))
	expect("a file removed", true)
}

func TestWatchMissingFolder(t *testing.T) {
	if _, err := Watch(context.Background(), filepath.Join(t.TempDir(), "nope"), time.Millisecond, func() {}, nil); err == nil {
		t.Error("no error for a folder that does not exist")
	}
}
