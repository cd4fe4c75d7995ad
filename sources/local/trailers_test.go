package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/sources/extract"
)

func TestTrailersMatch(t *testing.T) {
	tr := testTrailers(t)
	tests := []struct {
		line string
		want bool
	}{
		{"About The Author", true},
		{"  about   the author:  ", true},
		{"About\u00a0this author", true},
		{"Leave a Reply", true},
		{"Leave a Reply Cancel reply", true},
		{"Leave a Comment", true},
		{"Share this:", true},
		{"Like this:", true},
		{"Related Posts", true},
		{"Related Articles", true},
		{"Related Stories", true},
		{"You may also like", true},
		{"You might also like", true},
		{"Comments", true},
		{"3 Comments", true},
		{"1 Comment", true},
		{"Post navigation", true},
		{"Click to share on Facebook (Opens in new window)", true},
		{"Click to email a link to a friend", true},
		{"Share on Twitter", true},
		{"Share on X", true},
		{"Share on LinkedIn", true},
		{"Share on Reddit", true},
		{"Subscribe to our newsletter", true},
		{"Sign up for our newsletter", true},
		{"Cancel reply", true},
		{"Loading…", true},
		{"Loading...", true},
		{"More from The Example Weekly", true}, // the custom pattern
		// Whole lines only: prose mentioning the words is body.
		{"About the author of this book, little is known.", false},
		{"Leave a reply if you disagree", false},
		{"Share this with a friend who cooks.", false},
		{"Comments are closed on Sundays", false},
		{"Sharing economy", false},
		{"", false},
		{strings.Repeat("share ", 50), false},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			if got := tr.Match(tc.line); got != tc.want {
				t.Errorf("Match(%q) = %v, want %v", tc.line, got, tc.want)
			}
		})
	}
	var none *extract.Trailers
	if none.Match("Share this") {
		t.Error("nil Trailers matched")
	}
}

func TestNewTrailersInvalid(t *testing.T) {
	for _, extra := range [][]string{{"ok", "(unclosed"}, {""}} {
		_, err := extract.NewTrailers(extra)
		if err == nil {
			t.Errorf("NewTrailers(%q): no error", extra)
			continue
		}
		if !strings.Contains(err.Error(), "trailers[") {
			t.Errorf("NewTrailers(%q) error %q does not name the index", extra, err)
		}
	}
}

// TestTrailersSeeds reads scraped articles of the seed's shape (a title
// line, paragraphs, then the site's "About The Author" and "Leave a Reply"
// trailers) and checks that none of their site chrome reaches the output.
// The fixtures are in testdata/seeds; the real seeds in the shared folder
// beside the clone, when it is there, are read too.
func TestTrailersSeeds(t *testing.T) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "seeds", "*.txt"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seed fixtures in testdata/seeds: %v", err)
	}
	shared, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "seeds", "*.txt"))
	seeds = append(seeds, shared...)
	tr, err := extract.NewTrailers(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range seeds {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			a, err := readText(data, tr)
			if err != nil {
				t.Fatal(err)
			}
			if a.Title == "" || len(a.Content) < 100 {
				t.Errorf("title %q, content %d bytes: the body went missing", a.Title, len(a.Content))
			}
			for _, chrome := range []string{"About The Author", "Leave a Reply", "writes about cities", "logged in"} {
				if strings.Contains(strings.ToLower(a.Content), strings.ToLower(chrome)) {
					t.Errorf("content still contains %q", chrome)
				}
			}
			// The last paragraph of the body survives.
			if !strings.HasSuffix(a.Content, "</p>") {
				t.Errorf("content does not end with a paragraph: %q", a.Content[max(0, len(a.Content)-80):])
			}
		})
	}
}
