package upstream

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// FuzzFeedParse feeds arbitrary bytes, under an arbitrary Content-Type,
// through the feed source's parsing (charset detection, gofeed, mapping to
// articles): it must not panic, and whatever comes out must normalize and
// render to well-formed feeds whose every item is valid.
func FuzzFeedParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	fid, _ := filepath.Glob(filepath.Join("testdata", "fidelity", "*"))
	for _, p := range append(seeds, fid...) {
		if ext := filepath.Ext(p); ext == ".golden" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "application/xml")
		}
	}
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><item><title>caf`+"\xe9"+`</title></item></channel></rss>`), "text/xml; charset=utf-8")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<script>x</script>"}]}`), "application/feed+json")
	fetcher, _ := sourcetest.Fetcher(f, sources.FetchConfig{})
	src, err := New(Config{Name: "fuzz", URL: "https://up.example/feed"}, fetcher, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		resp := &sources.Response{URL: "https://up.example/feed", Status: 200, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		articles, err := src.parse(context.Background(), resp, &sources.State{})
		if err != nil {
			return // a malformed feed is an error, which is fine
		}
		fd := &feed.Feed{Name: "f", Title: "f", BaseURL: "https://herald.example/",
			Items: feed.Normalize(articles, feed.Options{Now: time.Unix(1e9, 0)})}
		for _, format := range feed.Formats {
			var buf bytes.Buffer
			if err := format.Render(&buf, fd); err != nil {
				t.Fatalf("%s: %v", format.Name, err)
			}
			// Well-formed, and every item valid (issue #10 item 4).
			if problems := checkOutputValid(format, buf.Bytes()); len(problems) > 0 {
				t.Fatalf("%s: %v\n%s", format.Name, problems, buf.Bytes())
			}
		}
	})
}

// FuzzJSONFeed: the field-by-field JSON Feed reader never panics, reads
// an item for every object in items, and never speaks of Go types.
func FuzzJSONFeed(f *testing.F) {
	for _, p := range []string{"testdata/fidelity/jsonfeed-bad-fields.json", "testdata/corpus/jsonfeed10.json", "testdata/corpus/jsonfeed11.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"items":[{"id":1,"tags":"x","authors":"a","attachments":{"url":"u"},"date_published":12}]}`))
	f.Add([]byte(`{"items":{}}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, notes, err := parseJSONFeed(body)
		msgs := notes
		if err != nil {
			msgs = append(msgs, err.Error())
		}
		for _, m := range msgs {
			if strings.Contains(m, "Go ") || strings.Contains(m, "unmarshal") || strings.Contains(m, "struct") {
				t.Errorf("message shows Go internals: %q", m)
			}
		}
		for _, it := range items {
			if it == nil {
				t.Fatal("nil item")
			}
		}
	})
}

// FuzzXMLRepairs: the repairs made around gofeed (recovering broken XML,
// a feed wrapped in HTML, xml:base, base64 text) never panic, leave a document without what they
// repair unchanged, and recover only what ends in a complete item.
func FuzzXMLRepairs(f *testing.F) {
	fid, _ := filepath.Glob(filepath.Join("testdata", "fidelity", "*.*"))
	for _, p := range fid {
		if b, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".json") {
			f.Add(b)
		}
	}
	f.Add([]byte(`<feed xml:base="a/b"><entry xml:base="../c?q#f"><link href="x"/></entry></feed>`))
	f.Add([]byte(`<rss><channel><title>t<item><title mode="base64">QUI=</title></item>`))
	f.Add([]byte(`<html xmlns:a="x"><body><feed><entry/></feed></body></html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if fixed, ok := xmlRecover(context.Background(), body); ok && xmlCountItems(fixed) > xmlCountItems(body)+1 {
			t.Errorf("recovery invented items: %q", fixed)
		}
		if out := xmlAbsoluteBases(body, "https://up.example/feed/x.xml"); !bytes.Contains(body, []byte("xml:base")) && !bytes.Equal(out, body) {
			t.Error("a document without xml:base changed")
		}
		if out := xmlRepairBase64(body); !bytes.Contains(body, []byte("base64")) && !bytes.Equal(out, body) {
			t.Error("a document without base64 changed")
		}
		// Unwrapping takes a part of the document and the declarations
		// around it: no item more, and at most twice as long.
		if out, ok := xmlUnwrapFeed(body); ok && (len(out) > 2*len(body) || xmlCountItems(out) > xmlCountItems(body) || out[0] != '<') {
			t.Errorf("unwrapping %q gave %q", body, out)
		}
		// Capping text keeps a well-formed document well-formed.
		capped, _ := xmlCapText(body, 16)
		if len(capped) > len(body) {
			t.Errorf("capping grew the document: %q", capped)
		}
		if xmlWellFormed(body) && !xmlWellFormed(capped) {
			t.Errorf("capping broke the document:\n%q\n%q", body, capped)
		}
	})
}

func xmlWellFormed(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
	}
}
