package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources/extract"
)

// readerCase is one reader test: an input under testdata/files and
// the article (or error) it must give.
type readerCase struct {
	file    string
	want    feed.Article
	wantErr error  // matched with errors.Is
	errText string // substring the error must contain, when wantErr is nil
}

// testTrailers are the defaults plus one custom pattern, as a config
// with `trailers: ["More from .+"]` would give.
func testTrailers(t testing.TB) *extract.Trailers {
	t.Helper()
	tr, err := extract.NewTrailers([]string{`more from .+`})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func runReaderCases(t *testing.T, dir string, read func([]byte, *extract.Trailers) (feed.Article, error), cases []readerCase) {
	t.Helper()
	tr := testTrailers(t)
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := read(data, tr)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				return
			case tc.errText != "":
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error = %v, want one containing %q", err, tc.errText)
				}
				return
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("article mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func testDate(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestReadText(t *testing.T) {
	body := "<p>The body stays.</p>"
	cases := []readerCase{
		{file: "plain.txt", want: feed.Article{
			Title:   "A Walk in the Hills",
			Content: "<p>We left at dawn &amp; climbed &lt;slowly&gt;.<br>\nThe path was steep.</p>\n<p>At the top, the view.</p>",
		}},
		{file: "bom.txt", want: feed.Article{Title: "BOM Title", Content: "<p>Body text.</p>"}},
		{file: "crlf.txt", want: feed.Article{Title: "CRLF Title", Content: "<p>First paragraph.<br>\nSecond line.</p>\n<p>Last paragraph.</p>"}},
		{file: "cr.txt", want: feed.Article{Title: "CR Title", Content: "<p>Only paragraph.</p>"}},
		{file: "cp1252.txt", want: feed.Article{Title: "Café Notes", Content: "<p>She said “bonjour” – twice.</p>"}},
		{file: "utf16.txt", want: feed.Article{Title: "Wide Title", Content: "<p>Wide body.</p>"}},
		{file: "title-only.txt", want: feed.Article{Title: "Just a Title"}},
		{file: "empty.txt", wantErr: ErrUntitled},
		{file: "blank.txt", wantErr: ErrUntitled},
		{file: "not-trailer.txt", want: feed.Article{Title: "Near Misses", Content: "<p>Share this with your friends, she said.</p>\n<p>The comments section was closed.</p>"}},
		// A trailer-looking block with no body before it is body.
		{file: "trailer-first.txt", want: feed.Article{Title: "Early Trailer", Content: "<p>Comments</p>\n<p>The body mentions the word only as a heading.</p>"}},
		// A trailer line inside a paragraph cuts the rest of it.
		{file: "trailer-inline.txt", want: feed.Article{Title: "Inline Trailer", Content: body}},
		{file: "trailer-custom.txt", want: feed.Article{Title: "Custom Trailer", Content: body}},
	}
	// One file per default trailer kind, each "body, trailer, chrome".
	matches, err := filepath.Glob(filepath.Join("testdata", "text", "trailer-*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matches {
		switch name := filepath.Base(m); name {
		case "trailer-first.txt", "trailer-inline.txt", "trailer-custom.txt":
		default:
			cases = append(cases, readerCase{file: name, want: feed.Article{Title: "Trailer Case", Content: body}})
		}
	}
	if len(cases) < 30 {
		t.Fatalf("found %d cases; trailer inputs missing?", len(cases))
	}
	runReaderCases(t, "text", readText, cases)
}
