package feed

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// TestStylesheet: RSS and Atom name the CSS stylesheet right after the XML
// declaration, escaped as an attribute value; JSON has none; readers
// still parse the document.
func TestStylesheet(t *testing.T) {
	tests := []struct {
		name, href, want string
	}{
		{"plain", "feed.css", `<?xml-stylesheet type="text/css" href="feed.css"?>`},
		{"escaped", `a"b&c?>.css`, `<?xml-stylesheet type="text/css" href="a&#34;b&amp;c?&gt;.css"?>`},
	}
	for _, tt := range tests {
		for _, f := range Formats {
			t.Run(tt.name+"/"+f.Name, func(t *testing.T) {
				fd := roundTripFeed()
				fd.Items = Normalize(fd.Items, Options{})
				fd.Stylesheet = tt.href
				var buf bytes.Buffer
				if err := f.Render(&buf, fd); err != nil {
					t.Fatal(err)
				}
				got := buf.String()
				if f.Name == "json" {
					if strings.Contains(got, "stylesheet") {
						t.Errorf("JSON Feed names a stylesheet")
					}
					return
				}
				if want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + tt.want + "\n<"; !strings.HasPrefix(got, want) {
					t.Errorf("document starts %.160q, want %q", got, want)
				}
				parsed, err := gofeed.NewParser().ParseString(got)
				if err != nil || parsed.Title != fd.Title || len(parsed.Items) != len(fd.Items) {
					t.Errorf("gofeed: %v, %+v", err, parsed)
				}
			})
		}
	}
}
