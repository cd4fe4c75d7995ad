package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

const testBase = "http://localhost:8080/"

func TestNewFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for success
	}{
		{"ok", Config{Name: "notes", Path: dir, BaseURL: testBase}, ""},
		{"ok with trailers", Config{Name: "notes", Path: dir, BaseURL: testBase, Trailers: []string{"read more"}}, ""},
		{"no name", Config{Path: dir, BaseURL: testBase}, "name is empty"},
		{"relative path", Config{Name: "notes", Path: "articles", BaseURL: testBase}, `path "articles" is not absolute`},
		{"no path", Config{Name: "notes", BaseURL: testBase}, "is not absolute"},
		{"base without slash", Config{Name: "notes", Path: dir, BaseURL: "http://localhost:8080"}, "base URL"},
		{"relative base", Config{Name: "notes", Path: dir, BaseURL: "/site/"}, "base URL"},
		{"bad trailer", Config{Name: "notes", Path: dir, BaseURL: testBase, Trailers: []string{"ok", "(x"}}, "trailers[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(tc.cfg, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if f.Name() != tc.cfg.Name {
					t.Errorf("Name() = %q, want %q", f.Name(), tc.cfg.Name)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestFilesUUID(t *testing.T) {
	// Expected values from Python's uuid.uuid5(uuid.NAMESPACE_URL, name).
	tests := []struct{ source, rel, want string }{
		{"notes", "2024/Hello World.md", "28a5549b-6ec5-5fe9-9e64-39790ddf5112"},
		{"notes", "a.txt", "512d3005-6b84-5a04-9568-45a14db046f4"},
	}
	for _, tc := range tests {
		if got := articleUUID(tc.source, tc.rel); got != tc.want {
			t.Errorf("articleUUID(%q, %q) = %s, want %s", tc.source, tc.rel, got, tc.want)
		}
	}
}

func TestFilesSlug(t *testing.T) {
	tests := []struct{ rel, want string }{
		{"2024/Hello World.md", "2024-hello-world-h"},
		{"a.txt", "a-h"},
		{"Café Crème!.html", "cafe-creme-h"},
		{"__Leading & trailing__.txt", "leading-trailing-h"},
		{"日本語.md", "h"},
		{"notes/日本語.md", "notes-h"},
		{".txt", "h"},
		{strings.Repeat("word ", 30) + ".txt", strings.TrimSuffix(strings.Repeat("word-", 12), "-") + "-h"},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			if got := pageSlug(tc.rel, "h"); got != tc.want {
				t.Errorf("pageSlug(%q) = %q, want %q", tc.rel, got, tc.want)
			}
		})
	}
}

// writeTree writes files (relative path → content) under dir, all with
// modification time mtime.
func writeTree(t testing.TB, dir string, files map[string]string, mtime time.Time) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func newFolder(t testing.TB, dir string, log *slog.Logger) *Folder {
	t.Helper()
	f, err := New(Config{Name: "notes", Path: dir, BaseURL: testBase}, log)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFilesCollect(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Date(2024, 6, 1, 12, 30, 45, 987654321, time.UTC)
	writeTree(t, dir, map[string]string{
		"b.txt":                "Text Title\n\nText body.\n\nLeave a Reply\n",
		"sub/c.md":             "---\ntitle: Own URL\ndate: 2024-01-02\nurl: /elsewhere/c\n---\nMD body.\n",
		"sub/deeper/d.HTML":    "<title>Page</title><article><p>HTML body.</p></article>",
		"A.Markdown":           "# Upper Ext\n\nBody.\n",
		"js.md":                "---\ntitle: Unsafe URL\nurl: javascript:alert(1)\n---\nBody.\n",
		"image.png":            "\x89PNG",
		"empty.txt":            "",
		"blank.md":             " \n\n",
		".hidden.txt":          "Hidden\n\nNot published.\n",
		".git/config.txt":      "Hidden Folder\n\nNot published.\n",
		"broken.md":            "---\ntitle: [oops\n---\nBody.\n",
		"sub/nested/.draft.md": "# Draft\n",
	}, mtime)
	// Real read failures, even as root: a dangling symlink, a folder
	// behind a file name, and a FIFO (which must not block the walk).
	if err := os.Symlink(filepath.Join(dir, "missing.txt"), filepath.Join(dir, "dangling.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "folder.md")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.txt"), 0o644); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	f := newFolder(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
	got, err := sourcetest.For(f).Collect(context.Background())

	// Partial result: the good articles and one error per bad file.
	if err == nil {
		t.Fatal("Collect: no error for the unreadable files")
	}
	for _, bad := range []string{"dangling.txt", "folder.md", "pipe.txt", "broken.md"} {
		if want := filepath.Join(dir, bad); !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "notes") {
		t.Errorf("error names the source; the caller does that:\n%v", err)
	}
	for _, skipped := range []string{"image.png", "empty.txt", "blank.md", "js.md"} {
		if n := strings.Count(logs.String(), filepath.Join(dir, skipped)); n != 1 {
			t.Errorf("%d warnings naming %s in logs, want 1:\n%s", n, skipped, logs.String())
		}
	}
	for _, bad := range []string{"dangling.txt", "folder.md", "pipe.txt", "broken.md"} {
		if strings.Contains(logs.String(), filepath.Join(dir, bad)) {
			t.Errorf("%s is both returned and logged:\n%s", bad, logs.String())
		}
	}
	// The same skips at the next collection are not warned about again;
	// the errors are returned again.
	firstLogs := logs.String()
	if _, err := sourcetest.For(f).Collect(context.Background()); err == nil {
		t.Error("second Collect: no error for the unreadable files")
	}
	if logs.String() != firstLogs {
		t.Errorf("second collection warned again:\n%s", strings.TrimPrefix(logs.String(), firstLogs))
	}
	if n := len(sourcetest.For(f).State().Skipped); n != 4 {
		t.Errorf("state remembers %d skipped files, want 4", n)
	}
	if strings.Contains(logs.String(), "hidden") || strings.Contains(logs.String(), ".git") || strings.Contains(logs.String(), ".draft") {
		t.Errorf("hidden files were looked at:\n%s", logs.String())
	}

	day := mtime.Truncate(time.Second)
	id := func(rel string) string { return "urn:uuid:" + articleUUID("notes", rel) }
	page := func(slug, rel string) string {
		return "articles/" + slug + "-" + articleUUID("notes", rel)[:8] + ".html"
	}
	want := []feed.Article{
		{ID: id("A.Markdown"), Page: page("a", "A.Markdown"), URL: testBase + page("a", "A.Markdown"), Title: "Upper Ext", Content: "<p>Body.</p>", Published: day, Updated: day, Source: "notes"},
		{ID: id("b.txt"), Page: page("b", "b.txt"), URL: testBase + page("b", "b.txt"), Title: "Text Title", Content: "<p>Text body.</p>", Published: day, Updated: day, Source: "notes"},
		// A url that is not http(s) is ignored (with a warning): a page instead.
		{ID: id("js.md"), Page: page("js", "js.md"), URL: testBase + page("js", "js.md"), Title: "Unsafe URL", Content: "<p>Body.</p>", Published: day, Updated: day, Source: "notes"},
		// Its own URL (resolved against BaseURL), so no page; the front
		// matter date stands for both dates.
		{ID: id("sub/c.md"), URL: "http://localhost:8080/elsewhere/c", Title: "Own URL", Content: "<p>MD body.</p>", Published: testDate("2024-01-02T00:00:00Z"), Updated: testDate("2024-01-02T00:00:00Z"), Source: "notes"},
		{ID: id("sub/deeper/d.HTML"), Page: page("sub-deeper-d", "sub/deeper/d.HTML"), URL: testBase + page("sub-deeper-d", "sub/deeper/d.HTML"), Title: "Page", Content: "<p>HTML body.</p>", Published: day, Updated: day, Source: "notes"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Collect mismatch (-want +got):\n%s", diff)
	}

	t.Run("stable across runs", func(t *testing.T) {
		again, _ := sourcetest.For(f).Collect(context.Background())
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("second run differs (-first +second):\n%s", diff)
		}
		other, _ := sourcetest.For(newFolder(t, dir, nil)).Collect(context.Background())
		if diff := cmp.Diff(got, other); diff != "" {
			t.Errorf("a new Files differs (-first +new):\n%s", diff)
		}
	})

	t.Run("edit keeps identity", func(t *testing.T) {
		later := mtime.Add(48 * time.Hour)
		writeTree(t, dir, map[string]string{"b.txt": "Retitled\n\nRewritten body.\n"}, later)
		edited, _ := sourcetest.For(f).Collect(context.Background())
		if len(edited) != len(got) {
			t.Fatalf("got %d articles after the edit, want %d", len(edited), len(got))
		}
		e := edited[1]
		if e.ID != got[1].ID || e.URL != got[1].URL || e.Page != got[1].Page {
			t.Errorf("identity changed by an edit: %q %q %q, want %q %q %q", e.ID, e.URL, e.Page, got[1].ID, got[1].URL, got[1].Page)
		}
		if e.Title != "Retitled" || e.Content != "<p>Rewritten body.</p>" || !e.Updated.Equal(later.Truncate(time.Second)) {
			t.Errorf("edit not picked up: %+v", e)
		}
	})
}

func TestFilesCollectSymlinkedRoot(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, ".real") // hidden name: only the root itself
	writeTree(t, real, map[string]string{"sub/a.txt": "Linked\n\nBody.\n"}, time.Unix(1e9, 0))
	link := filepath.Join(dir, "articles")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{link, real} {
		got, err := sourcetest.For(newFolder(t, root, nil)).Collect(context.Background())
		if err != nil || len(got) != 1 || got[0].ID != "urn:uuid:"+articleUUID("notes", "sub/a.txt") {
			t.Errorf("Collect(%s) = %+v, %v; want the one article", root, got, err)
		}
	}
}

func TestFilesCollectFolderErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing"), file} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			got, err := sourcetest.For(newFolder(t, p, nil)).Collect(context.Background())
			if got != nil {
				t.Errorf("got %d articles, want nil", len(got))
			}
			if err == nil || strings.Count(err.Error(), p) != 1 {
				t.Errorf("error %v does not name %s once", err, p)
			}
		})
	}
}

func TestFilesCollectCancelled(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 50 {
		files[fmt.Sprintf("a%02d.txt", i)] = "Title\n\nBody.\n"
	}
	writeTree(t, dir, files, time.Unix(1e9, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := sourcetest.For(newFolder(t, dir, nil)).Collect(ctx)
	if got != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Collect on a cancelled context = %d articles, %v; want nil, context.Canceled", len(got), err)
	}
}

// BenchmarkCollectFiles reads 10,000 small articles, half text and half
// Markdown with front matter, spread over 100 folders.
func BenchmarkCollectFiles(b *testing.B) {
	dir := b.TempDir()
	para := strings.Repeat("A sentence of ordinary article text, long enough to wrap. ", 8)
	files := make(map[string]string, 10000)
	for i := range 10000 {
		sub := fmt.Sprintf("d%02d", i%100)
		if i%2 == 0 {
			files[fmt.Sprintf("%s/post-%05d.txt", sub, i)] = fmt.Sprintf("Text Article %d\n\n%s\n\n%s\n\nShare this:\n\nTwitter\n", i, para, para)
		} else {
			files[fmt.Sprintf("%s/post-%05d.md", sub, i)] = fmt.Sprintf("---\ntitle: Markdown Article %d\ndate: 2024-01-02\ntags: [a, b]\n---\n%s *emphasis*\n\n%s [link](https://example.org/)\n\n## Related Posts\n\n- x\n", i, para, para)
		}
	}
	writeTree(b, dir, files, time.Unix(1.7e9, 0))
	f := newFolder(b, dir, nil)
	// CPU time per run, next to wall time: on a shared machine it says
	// what the reading costs regardless of the neighbours.
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		got, err := sourcetest.For(f).Collect(context.Background())
		if err != nil || len(got) != 10000 {
			b.Fatalf("got %d articles, %v", len(got), err)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(n), "cpu-ms/op")
}

// cpuTime returns the user plus system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkReadMarkdown(b *testing.B) {
	para := strings.Repeat("A sentence of ordinary article text, long enough to wrap. ", 8)
	data := []byte("---\ntitle: Markdown Article\ndate: 2024-01-02\ntags: [a, b]\n---\n" + para + " *emphasis*\n\n" + para + " [link](https://example.org/)\n\n## Related Posts\n\n- x\n")
	tr := testTrailers(b)
	for b.Loop() {
		if _, err := ReadMarkdown(context.Background(), data, tr, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFilesLoadTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.txt")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no 16 MiB written to disk.
	if err := fh.Truncate(maxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	if _, _, err := loadFile(p, false, maxFileSize); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("loadFile of a file over the limit: error = %v, want one about the limit", err)
	}
}

// TestUnchangedFilesNotRead: a file whose size and modification time did
// not change is not read again, only named in Kept; a changed stamp is
// read even when the size is the same.
func TestUnchangedFilesNotRead(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.txt", "b.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("Title "+name+"\n\nBody.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := newFolder(t, dir, nil)
	first, err := f.Collect(context.Background(), sources.State{})
	if err != nil || len(first.Articles) != 2 || len(first.Kept) != 0 {
		t.Fatalf("first collection: %d articles, %d kept, %v", len(first.Articles), len(first.Kept), err)
	}
	again, err := f.Collect(context.Background(), first.State)
	if err != nil || len(again.Articles) != 0 || len(again.Kept) != 2 {
		t.Fatalf("unchanged: %d articles read, %d kept (%v); want 0 and 2", len(again.Articles), len(again.Kept), err)
	}
	if again.Articles == nil {
		t.Error("unchanged: nil Articles would mean nothing to publish")
	}
	// Same size, new content and mtime: read.
	p := filepath.Join(dir, "b.txt")
	os.WriteFile(p, []byte("Title b.TXT\n\nBody.\n"), 0o644)
	later := time.Now().Add(time.Hour)
	os.Chtimes(p, later, later)
	third, err := f.Collect(context.Background(), again.State)
	if err != nil || len(third.Articles) != 1 || third.Articles[0].Title != "Title b.TXT" || len(third.Kept) != 1 {
		t.Fatalf("after an edit: %+v, kept %v, %v", third.Articles, third.Kept, err)
	}
}

// TestBatches: a folder with more changed files than Batch is read a
// batch at a time, in walk order, with More set until the last; a changed
// file left for later keeps its article current (Kept); every file is read
// exactly once over the batches.
func TestBatches(t *testing.T) {
	dir := t.TempDir()
	for i := range 25 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.txt", i)), []byte(fmt.Sprintf("Title %d\n\nBody.\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := New(Config{Name: "notes", Path: dir, BaseURL: "http://x.example/", Batch: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	state := sources.State{}
	read := map[string]int{}
	var sizes []int
	for range 5 {
		res, err := f.Collect(context.Background(), state)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Articles {
			read[a.Title]++
		}
		if len(read) < 25 && !res.More || len(read) == 25 && res.More {
			t.Fatalf("after %d read: More = %v", len(read), res.More)
		}
		sizes = append(sizes, len(res.Articles))
		state = res.State
		if !res.More {
			break
		}
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) || len(read) != 25 {
		t.Fatalf("batches of %v reading %d files, want 10, 10, 5 reading 25", sizes, len(read))
	}
	for title, n := range read {
		if n != 1 {
			t.Errorf("%s read %d times", title, n)
		}
	}
	// All 25 edited: the first batch reads 10 and keeps the other 15
	// current by their stamped IDs.
	later := time.Now().Add(time.Hour)
	for i := range 25 {
		p := filepath.Join(dir, fmt.Sprintf("f%02d.txt", i))
		os.WriteFile(p, []byte(fmt.Sprintf("Title %d, edited\n\nBody.\n", i)), 0o644)
		os.Chtimes(p, later, later)
	}
	res, err := f.Collect(context.Background(), state)
	if err != nil || len(res.Articles) != 10 || len(res.Kept) != 15 || !res.More {
		t.Fatalf("edited: %d read, %d kept, More %v, %v; want 10, 15, true", len(res.Articles), len(res.Kept), res.More, err)
	}
}

// TestBatchesListOnce: the parts of one collection share the first part's
// listing (State.Resume), so a large import walks its folder once. Every
// part returns each listed file as read or kept, so retention never sees
// a listed article as gone. A file that vanishes between parts makes the
// next part list the folder again; a file added meanwhile waits for the
// next collection, which starts without Resume. (New files left for a
// later part have no article yet, so they are neither read nor kept.)
func TestBatchesListOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		between   func(dir string) // after the first part
		walks     int
		firstRun  int // files read by the first collection
		secondRun int // files read by the next one
	}{
		{"unchanged", func(string) {}, 1, 25, 0},
		{"a listed file vanishes", func(dir string) {
			if err := os.Remove(filepath.Join(dir, "f24.txt")); err != nil {
				t.Fatal(err)
			}
		}, 2, 24, 0},
		{"a file is added", func(dir string) {
			writeTitled(t, filepath.Join(dir, "f99.txt"), "Title 99")
		}, 1, 25, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for i := range 25 {
				writeTitled(t, filepath.Join(dir, fmt.Sprintf("f%02d.txt", i)), fmt.Sprintf("Title %d", i))
			}
			f, err := New(Config{Name: "notes", Path: dir, BaseURL: "http://x.example/", Batch: 10}, nil)
			if err != nil {
				t.Fatal(err)
			}
			walks := 0
			f.afterWalk = func() { walks++ }
			state := sources.State{}
			read := map[string]int{}
			for part := 0; ; part++ {
				res, err := f.Collect(context.Background(), state)
				if err != nil {
					t.Fatalf("part %d: %v", part, err)
				}
				current := map[string]bool{}
				for _, a := range res.Articles {
					read[a.Title]++
					current[a.ID] = true
				}
				for _, id := range res.Kept {
					if current[id] {
						t.Errorf("part %d: %s both read and kept", part, id)
					}
					current[id] = true
				}
				if len(current) != len(read) {
					t.Errorf("part %d returns %d articles (read or kept), %d were read so far", part, len(current), len(read))
				}
				if part == 0 {
					tc.between(dir)
				}
				state = res.State
				if !res.More {
					if res.State.Resume != nil {
						t.Error("the last part hands on a listing")
					}
					break
				}
				if res.State.Resume == nil {
					t.Fatalf("part %d: More without Resume", part)
				}
			}
			if walks != tc.walks {
				t.Errorf("the folder was walked %d times, want %d", walks, tc.walks)
			}
			if len(read) != tc.firstRun {
				t.Errorf("the collection read %d files, want %d", len(read), tc.firstRun)
			}
			for title, n := range read {
				if n != 1 {
					t.Errorf("%s read %d times", title, n)
				}
			}
			state.Resume = nil // what the collector does when a collection begins
			res, err := f.Collect(context.Background(), state)
			if err != nil || len(res.Articles) != tc.secondRun || res.More {
				t.Fatalf("next collection: %d read, More %v, %v; want %d", len(res.Articles), res.More, err, tc.secondRun)
			}
			if got, want := len(res.Articles)+len(res.Kept), listed(t, dir); got != want {
				t.Errorf("next collection returns %d articles, the folder holds %d", got, want)
			}
		})
	}
}

func writeTitled(t *testing.T, path, title string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(title+"\n\nBody.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour) // whole seconds apart from any edit
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// listed is the number of files in dir.
func listed(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
