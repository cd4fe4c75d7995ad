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
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"

	"github.com/heraldfeed/herald/sources"
)

// hostileMarkup are files anyone who can write an article could write,
// about 1 MB each: the shapes that took goldmark time squared (or
// memory), and the nesting and misnesting HTML parsers work hardest on.
func hostileMarkup() []struct {
	name string
	html bool
	data []byte
} {
	md := func(s string, n int) []byte { return []byte("# Title\n\n" + strings.Repeat(s, n)) }
	page := func(s string, n int) []byte { return []byte("<title>Title</title><body>" + strings.Repeat(s, n)) }
	return []struct {
		name string
		html bool
		data []byte
	}{
		{"md-link-open", false, md("[a](", 250000)},
		{"md-quote", false, md(">", 1000000)},
		{"md-brackets", false, []byte("# Title\n\n" + strings.Repeat("[", 250000) + "a" + strings.Repeat("]", 250000))},
		{"md-emphasis", false, []byte("# Title\n\n" + strings.Repeat("*a ", 170000) + strings.Repeat("a* ", 170000))},
		{"md-underscores", false, md("_", 1000000)},
		{"md-deep-list", false, md("- ", 500000)},
		{"md-quoted-lines", false, md(strings.Repeat("> ", 99)+"x\n", 5000)},
		{"md-html-open", false, md("<a", 500000)},
		{"html-b", true, page("<b>", 300000)},
		{"html-table", true, page("<table><tr><td>", 70000)},
		{"html-a-adoption", true, page("<a><p>", 170000)},
		{"html-misnested", true, page("<b><i></b></i>", 70000)},
		{"html-div", true, page("<div>", 200000)},
	}
}

// shortParseTime sets parseTime to d for a test.
func shortParseTime(t *testing.T, d time.Duration) {
	old := parseTime
	parseTime = d
	t.Cleanup(func() { parseTime = old })
}

// TestHostileMarkupFinishes: every hostile file is parsed or refused
// with an ErrBound well within a generous bound (minutes before), under
// a parse time bound shortened to 250 ms.
func TestHostileMarkupFinishes(t *testing.T) {
	shortParseTime(t, 250*time.Millisecond)
	const bound = 3 * time.Second
	for _, tc := range hostileMarkup() {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			var err error
			if tc.html {
				_, err = ReadHTML(context.Background(), tc.data, nil)
			} else {
				_, err = ReadMarkdown(context.Background(), tc.data, nil, nil)
			}
			if d := time.Since(start); d > bound {
				t.Errorf("%d bytes took %v, over %v", len(tc.data), d, bound)
			}
			if err != nil && !errors.Is(err, ErrBound) {
				t.Errorf("err = %v, want nil or a bound", err)
			}
		})
	}
}

// TestMarkupBounds: which bound refuses which file, and that the
// refusal names it.
func TestMarkupBounds(t *testing.T) {
	shortParseTime(t, time.Second)
	for _, tt := range []struct {
		name string
		data string
		want string // in the error; "" for none
	}{
		{"slow links", "# T\n\n" + strings.Repeat("[a](", 250000), "parsing took over 1s"},
		{"deep quotes", "# T\n\n" + strings.Repeat(">", 101) + " x", "nested deeper than 100"},
		{"quotes at the limit", "# T\n\n" + strings.Repeat(">", 100) + " x", ""},
		{"deep lists", "# T\n\n" + strings.Repeat("- ", 200) + "x", "nested deeper than 100"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadMarkdown(context.Background(), []byte(tt.data), nil, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.want != "" && (!errors.Is(err, ErrBound) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want an ErrBound saying %q", err, tt.want)
			}
		})
	}
}

// TestMarkupCancelled: a cancelled context stops a parse in progress
// and before one, promptly, with the context's error (not a bound).
func TestMarkupCancelled(t *testing.T) {
	slowMD := []byte("# T\n\n" + strings.Repeat("[a](", 250000))
	slowHTML := []byte("<title>T</title><body>" + strings.Repeat("<a><p>", 170000))
	for _, tt := range []struct {
		name  string
		after time.Duration
		read  func(context.Context) error
	}{
		{"markdown before", 0, func(ctx context.Context) error { _, err := ReadMarkdown(ctx, slowMD, nil, nil); return err }},
		{"markdown during", 50 * time.Millisecond, func(ctx context.Context) error { _, err := ReadMarkdown(ctx, slowMD, nil, nil); return err }},
		{"html before", 0, func(ctx context.Context) error { _, err := ReadHTML(ctx, slowHTML, nil); return err }},
		{"html during", 20 * time.Millisecond, func(ctx context.Context) error { _, err := ReadHTML(ctx, slowHTML, nil); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.after == 0 {
				cancel()
			} else {
				time.AfterFunc(tt.after, cancel)
			}
			start := time.Now()
			err := tt.read(ctx)
			if d := time.Since(start); d > time.Second {
				t.Errorf("returned %v after start", d)
			}
			// HTML this size may be parsed before 20 ms: then no error.
			if err != nil && !errors.Is(err, context.Canceled) || err == nil && !strings.HasPrefix(tt.name, "html during") {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	}
}

// TestCollectSkipsOverBound: files over a bound are skipped with one
// warning each, naming the file and the bound, not repeated at the next
// collection; the other files publish and the collection has no error.
func TestCollectSkipsOverBound(t *testing.T) {
	shortParseTime(t, time.Second) // the others parse well within it, even under -race on a loaded machine
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"good.md":   "# Good\n\nBody *x*.\n",
		"plain.txt": "Plain\n\nText.\n",
		"page.html": "<title>Page</title><p>x</p>",
		"slow.md":   "# Slow\n\n" + strings.Repeat("[a](", 250000),
		"deep.md":   "# Deep\n\n" + strings.Repeat(">", 1000),
		"big.md":    "# Big\n\n" + strings.Repeat("word ", maxMarkupSize/5+1),
		"deep.html": "<title>Deep</title><body>" + strings.Repeat("<div>", 600),
	}, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	f := newFolder(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
	res, err := f.Collect(context.Background(), sources.State{})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	var titles []string
	for _, a := range res.Articles {
		titles = append(titles, a.Title)
	}
	if got := strings.Join(titles, ","); got != "Good,Page,Plain" {
		t.Errorf("published %s, want Good,Page,Plain", got)
	}
	for _, w := range []struct{ file, bound string }{
		{"slow.md", "parsing took over 1s"},
		{"deep.md", "nested deeper than 100"},
		{"big.md", fmt.Sprintf("over the %d limit for Markdown and HTML", maxMarkupSize)},
		{"deep.html", "open stack of elements exceeds 512 nodes"},
	} {
		var lines []string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "level=WARN") && strings.Contains(l, filepath.Join(dir, w.file)) {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], w.bound) {
			t.Errorf("%s: warnings %q, want one saying %q", w.file, lines, w.bound)
		}
	}
	// Skipped files are stamped without an ID: unchanged, they are not
	// parsed again (which would cost the time bound at every collection).
	for _, name := range []string{"slow.md", "deep.md", "big.md", "deep.html"} {
		if st, ok := res.State.Files[name]; !ok || st.ID != "" {
			t.Errorf("state stamp of %s: %+v, %v; want one without an ID", name, st, ok)
		}
	}
	logs.Reset()
	res2, err := f.Collect(context.Background(), res.State)
	if err != nil || strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("second collection: %v, warned again:\n%s", err, logs.String())
	}
	if len(res2.Articles) != 0 || len(res2.Kept) != 3 || slices.Contains(res2.Kept, "") {
		t.Errorf("second collection read %d files, kept %q; want none read, the 3 articles kept", len(res2.Articles), res2.Kept)
	}
}

// TestCollectCancelledDuringParse: cancelling a collection (shutdown)
// that is parsing hostile files returns promptly with the context's
// error, under the real parse time bound.
func TestCollectCancelledDuringParse(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 8 {
		files[fmt.Sprintf("slow%d.md", i)] = "# Slow\n\n" + strings.Repeat("[a](", 250000)
	}
	writeTree(t, dir, files, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	f := newFolder(t, dir, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := f.Collect(ctx, sources.State{})
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("Collect returned %v after start, cancelled at 200ms", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// plainMarkdown is markdownParser without the guards.
var plainMarkdown = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList),
	goldmark.WithRendererOptions(goldhtml.WithUnsafe()),
)

// guardedSameAsPlain reports whether the guarded parser renders src as
// goldmark alone does; same too when a guard refused src.
func guardedSameAsPlain(t *testing.T, src []byte) (same bool, guarded, plain string) {
	t.Helper()
	g := newGuard(context.Background())
	defer g.release()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(abort); !ok {
				panic(r)
			}
			same = true // over a bound: nothing to compare
		}
	}()
	var gb, pb bytes.Buffer
	if err := markdownParser.Renderer().Render(&gb, src, parseMarkdown(src, g)); err != nil {
		t.Fatal(err)
	}
	if err := plainMarkdown.Renderer().Render(&pb, src, plainMarkdown.Parser().Parse(text.NewReader(src))); err != nil {
		t.Fatal(err)
	}
	return gb.String() == pb.String(), gb.String(), pb.String()
}

// TestGuardsChangeNothing: on every Markdown file of testdata, the
// guarded parser renders exactly what goldmark alone renders.
func TestGuardsChangeNothing(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "markdown", "*.md"))
	if len(paths) == 0 {
		t.Fatal("no testdata")
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if same, g, pl := guardedSameAsPlain(t, src); !same {
			t.Errorf("%s:\nguarded %q\nplain   %q", p, g, pl)
		}
	}
}

// FuzzMarkdownGuards: below the bounds, the guards change no rendering.
func FuzzMarkdownGuards(f *testing.F) {
	f.Add([]byte("# T\n\n*a* _b_ `c` [l](u) ![i](s) <b>h</b> ~~s~~ <https://x>\n\n> q\n> - l\n>   1. n\n\n| a |\n|---|\n| 1 |\n- [ ] t\n"))
	f.Add([]byte("[a](" + "[a](" + "[a]("))
	f.Add([]byte(strings.Repeat(">", 50) + " x\n" + strings.Repeat("- ", 50) + "y"))
	f.Add([]byte("***a _b* c_ [x]]](y) \\* \\[ &amp; <a"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if same, g, pl := guardedSameAsPlain(t, src); !same {
			t.Errorf("guarded %q\nplain   %q", g, pl)
		}
	})
}

// BenchmarkHostileMarkup reads each hostile file under the default
// bounds: the ones over a bound take maxParseTime.
func BenchmarkHostileMarkup(b *testing.B) {
	for _, tc := range hostileMarkup() {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				if tc.html {
					ReadHTML(context.Background(), tc.data, nil)
				} else {
					ReadMarkdown(context.Background(), tc.data, nil, nil)
				}
			}
		})
	}
}
