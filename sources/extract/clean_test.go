package extract

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestClean runs Clean over the item contents in testdata/items (what
// feeds and WordPress plugins put in items) and compares with the
// .golden beside each; -update rewrites them. Each case also names text
// that must go and text that must stay, so a golden rewritten by mistake
// still fails.
func TestClean(t *testing.T) {
	trailers, err := NewTrailers(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file       string
		keep, gone []string
	}{
		{"jetpack.html", []string{"first beds of the year", "north fence"}, []string{"Share this", "Twitter", "Like this", "Loading", "Related"}},
		{"jetpack-bare.html", []string{"first beds of the year"}, []string{"Share this", "Twitter", "Related"}},
		{"appeared-first.html", []string{"speeds up search"}, []string{"appeared first"}},
		{"continue-reading.html", []string{"argues about the bank"}, []string{"Continue reading", "The Flood"}},
		{"feedflare.html", []string{"The council met"}, []string{"feedburner"}},
		{"tracking-pixel.html", []string{"Prices rose", "chart.png"}, []string{"t.gif", "b.gif"}},
		// Nothing to cut: the same bytes, not a re-rendering.
		{"untouched.html", []string{"Share this with your friends", `alt="graph">`}, nil},
		{"plain-text.html", []string{"Just text & no markup: share this with a friend.\n"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "items", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := Clean(string(in), trailers)
			golden := filepath.Join("testdata", "items", strings.TrimSuffix(tc.file, ".html")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Clean (-want +got):\n%s", diff)
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("%q was cut", k)
				}
			}
			text := got + " " + feed.HTMLText(got, -1)
			for _, g := range tc.gone {
				if strings.Contains(text, g) {
					t.Errorf("%q was kept", g)
				}
			}
		})
	}
}

func TestCleanUntouchedIsIdentical(t *testing.T) {
	for _, s := range []string{
		"",
		"plain",
		"<p>a</p>\n  ",
		`<p><img src="x.png"></p>`,
		"<p>Comments</p><p>First line of the body.</p>", // a trailer needs body before it
	} {
		if got := Clean(s, nil); got != s {
			t.Errorf("Clean(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestCleanArticles(t *testing.T) {
	trailers, err := NewTrailers([]string{"more from the garden"})
	if err != nil {
		t.Fatal(err)
	}
	arts := []feed.Article{{
		Content: "<p>Body text here.</p><p>More from the garden</p><ul><li>x</li></ul>",
		Summary: `<p>Summary.</p><div class="sharedaddy">Share this: Twitter Facebook</div>`,
	}}
	CleanArticles(arts, trailers)
	want := []feed.Article{{Content: "<p>Body text here.</p>", Summary: "<p>Summary.</p>"}}
	if diff := cmp.Diff(want, arts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCleanText(t *testing.T) {
	trailers, err := NewTrailers(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"We planted the first beds. Share this: Twitter Facebook Related", "We planted the first beds."},
		{"We planted the first beds. Like this: Like Loading...", "We planted the first beds."},
		{"Release 4.2 is out. The post Release 4.2 appeared first on Example Blog.", "Release 4.2 is out."},
		// Prose that only mentions the words stays.
		{"Share this with a friend who cooks.", "Share this with a friend who cooks."},
		{"We want you to share this: the garden is open.", "We want you to share this: the garden is open."},
		{"Read about related species. Related", "Read about related species. Related"},
	}
	for _, tc := range tests {
		if got := Clean(tc.in, trailers); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Clean(tc.in, nil); got != tc.in {
			t.Errorf("Clean(%q, nil) = %q, want it unchanged", tc.in, got)
		}
	}
}
