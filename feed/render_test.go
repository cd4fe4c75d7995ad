package feed

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestGolden pins the exact bytes of each format for a normalized feed, so
// any change to the output is a reviewed diff: go test ./feed -run Golden -update
func TestGolden(t *testing.T) {
	fd := roundTripFeed()
	fd.Items = Normalize(fd.Items, Options{})
	for _, f := range Formats {
		t.Run(f.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.Render(&buf, fd); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "world"+f.Ext+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("%s differs from %s; run go test ./feed -run Golden -update and review the diff\ngot:\n%s", f.Name, golden, buf.String())
			}
		})
	}
}

// TestRenderDeterministic renders twice, with the items' dates in
// different zones, and wants the same bytes: no clock, no map order.
func TestRenderDeterministic(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	a, b := roundTripFeed(), roundTripFeed()
	for i := range b.Items {
		b.Items[i].Published = b.Items[i].Published.In(paris)
		b.Items[i].Updated = b.Items[i].Updated.In(paris)
	}
	for _, f := range Formats {
		var x, y bytes.Buffer
		if err := f.Render(&x, a); err != nil {
			t.Fatal(err)
		}
		if err := f.Render(&y, b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: rendering is not reproducible", f.Name)
		}
	}
}

func ExampleFormat_Render() {
	fd := &Feed{
		Name: "demo", Title: "Demo", BaseURL: "https://example.org/",
		Items: Normalize([]Article{{
			ID: "https://example.org/hello", URL: "https://example.org/hello",
			Title: "Hello", Content: "<p>Hello, <script>alert(1)</script>world.</p>",
			Published: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}}, Options{}),
	}
	JSON.Render(os.Stdout, fd)
	// Output:
	// {"version":"https://jsonfeed.org/version/1.1","title":"Demo","home_page_url":"https://example.org/","feed_url":"https://example.org/demo.json","authors":[{"name":"Demo"}],"items":[{"id":"https://example.org/hello","url":"https://example.org/hello","title":"Hello","content_html":"<p>Hello, world.</p>","summary":"Hello, world.","date_published":"2026-01-02T03:04:05Z","date_modified":"2026-01-02T03:04:05Z"}]}
}
