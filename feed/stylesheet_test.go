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

// TestHub: with a WebSub hub, every format announces it next to its self
// URL, and gofeed still parses the document.
func TestHub(t *testing.T) {
	want := map[string][]string{
		"rss":  {`<atom:link href="https://news.example.org/world.rss" rel="self" type="application/rss+xml"></atom:link>`, `<atom:link href="https://hub.example/" rel="hub"></atom:link>`},
		"atom": {`<link href="https://news.example.org/world.atom" rel="self" type="application/atom+xml"></link>`, `<link href="https://hub.example/" rel="hub"></link>`},
		"json": {`"feed_url":"https://news.example.org/world.json"`, `"hubs":[{"type":"WebSub","url":"https://hub.example/"}]`},
	}
	for _, f := range Formats {
		t.Run(f.Name, func(t *testing.T) {
			fd := roundTripFeed()
			fd.Items = Normalize(fd.Items, Options{})
			fd.Hub = "https://hub.example/"
			var buf bytes.Buffer
			if err := f.Render(&buf, fd); err != nil {
				t.Fatal(err)
			}
			for _, w := range want[f.Name] {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("%s lacks %s:\n%.1500s", f.Name, w, buf.String())
				}
			}
			if _, err := gofeed.NewParser().ParseString(buf.String()); err != nil {
				t.Errorf("gofeed: %v", err)
			}
		})
	}
}
