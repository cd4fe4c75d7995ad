package upstream

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/feed"
)

// iriRE is a scheme followed by characters an IRI may hold (RFC 3987).
var iriRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^` + "`" + `]+$`)

// checkOutputValid reports every way a rendered feed breaks XML
// well-formedness (strict decoding) or the rules of issue #10 item 4: no
// empty <link> or <title>; an RSS item has a title or a description;
// every Atom entry has an IRI id, a title, and content or an alternate
// link; every JSON Feed item has an id and content_html or content_text,
// and no empty url or title.
func checkOutputValid(format feed.Format, out []byte) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if format.Name == feed.JSON.Name {
		var doc struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			return []string{"not JSON: " + err.Error()}
		}
		for i, it := range doc.Items {
			if id, _ := it["id"].(string); id == "" {
				bad("items[%d]: no id", i)
			}
			h, _ := it["content_html"].(string)
			tx, _ := it["content_text"].(string)
			if h == "" && tx == "" {
				bad("items[%d]: neither content_html nor content_text", i)
			}
			for _, k := range []string{"url", "title", "content_html", "content_text", "summary"} {
				if v, ok := it[k]; ok && v == "" {
					bad("items[%d]: empty %s", i, k)
				}
			}
		}
		return problems
	}

	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = true
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return []string{"not well-formed: " + err.Error()}
		}
	}
	type link struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	}
	type text struct {
		Present xml.Name
		Body    string `xml:",chardata"`
	}
	if format.Name == feed.RSS.Name {
		var doc struct {
			Items []struct {
				Titles       []text `xml:"title"`
				Links        []text `xml:"link"`
				Descriptions []text `xml:"description"`
			} `xml:"channel>item"`
		}
		if err := xml.Unmarshal(out, &doc); err != nil {
			return []string{err.Error()}
		}
		for i, it := range doc.Items {
			for _, l := range it.Links {
				if strings.TrimSpace(l.Body) == "" {
					bad("item %d: empty <link>", i)
				}
			}
			for _, l := range it.Titles {
				if strings.TrimSpace(l.Body) == "" {
					bad("item %d: empty <title>", i)
				}
			}
			if len(it.Titles) == 0 && (len(it.Descriptions) == 0 || strings.TrimSpace(it.Descriptions[0].Body) == "") {
				bad("item %d: neither title nor description", i)
			}
		}
		return problems
	}
	var doc struct {
		Entries []struct {
			ID      string  `xml:"id"`
			Titles  []text  `xml:"title"`
			Links   []link  `xml:"link"`
			Content []text  `xml:"content"`
			Updated string  `xml:"updated"`
			Summary *string `xml:"summary"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		return []string{err.Error()}
	}
	for i, e := range doc.Entries {
		if !iriRE.MatchString(e.ID) {
			bad("entry %d: id %q is not an IRI", i, e.ID)
		}
		if len(e.Titles) != 1 || strings.TrimSpace(e.Titles[0].Body) == "" {
			bad("entry %d: no title", i)
		}
		if e.Updated == "" {
			bad("entry %d: no updated", i)
		}
		alternate := false
		for _, l := range e.Links {
			if l.Href == "" {
				bad("entry %d: empty link", i)
			}
			if l.Rel == "" || l.Rel == "alternate" {
				alternate = true
			}
		}
		if !alternate && (len(e.Content) == 0 || strings.TrimSpace(e.Content[0].Body) == "") {
			bad("entry %d: neither content nor alternate link (MissingContentOrAlternate)", i)
		}
		if e.Summary != nil && strings.TrimSpace(*e.Summary) == "" {
			bad("entry %d: empty summary", i)
		}
	}
	return problems
}

// TestFidelityOutputValid renders every item of every fixture (issue #10's
// and the upstream corpus) in all three formats and checks each output
// with checkOutputValid.
func TestFidelityOutputValid(t *testing.T) {
	type fixture struct{ file, ctype string }
	var all []fixture
	for _, tc := range fidelityCases {
		all = append(all, fixture{tc.file, tc.ctype})
	}
	all = append(all, fixture{"large-item.xml.gz", "application/rss+xml"})
	corpus, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	types := map[string]string{".xml": "application/xml", ".rdf": "application/rdf+xml", ".json": "application/feed+json"}
	for _, f := range corpus {
		if ct, ok := types[filepath.Ext(f)]; ok {
			all = append(all, fixture{f, ct})
		}
	}
	if len(all) < 20 {
		t.Fatalf("found %d fixtures, want at least 20", len(all))
	}
	for _, tc := range all {
		t.Run(tc.file, func(t *testing.T) {
			items, _ := fidCollect(t, tc.file, tc.ctype)
			fd := &feed.Feed{Name: "v", Title: "V", BaseURL: "https://herald.example/", Items: items}
			for _, format := range feed.Formats {
				var buf bytes.Buffer
				if err := format.Render(&buf, fd); err != nil {
					t.Fatal(err)
				}
				for _, p := range checkOutputValid(format, buf.Bytes()) {
					t.Errorf("%s: %s", format.Name, p)
				}
			}
		})
	}
}

// TestCheckOutputValid makes sure the checker sees what it looks for.
func TestCheckOutputValid(t *testing.T) {
	tests := []struct {
		name   string
		format feed.Format
		out    string
		want   string
	}{
		{"rss empty link", feed.RSS, `<rss><channel><item><title>t</title><link></link></item></channel></rss>`, "empty <link>"},
		{"rss empty title", feed.RSS, `<rss><channel><item><title> </title><description>d</description></item></channel></rss>`, "empty <title>"},
		{"rss not well-formed", feed.RSS, `<rss><channel><item></channel></rss>`, "not well-formed"},
		{"atom non-IRI id", feed.Atom, `<feed><entry><id>23246627</id><title>t</title><updated>u</updated><link href="https://x/"/></entry></feed>`, "not an IRI"},
		{"atom no content", feed.Atom, `<feed><entry><id>urn:x:1</id><title>t</title><updated>u</updated></entry></feed>`, "MissingContentOrAlternate"},
		{"json no content", feed.JSON, `{"items":[{"id":"1","title":"t"}]}`, "neither content_html"},
		{"json empty url", feed.JSON, `{"items":[{"id":"1","url":"","content_text":"x"}]}`, "empty url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(checkOutputValid(tt.format, []byte(tt.out)), "; ")
			if !strings.Contains(got, tt.want) {
				t.Errorf("problems = %q, want one with %q", got, tt.want)
			}
		})
	}
}
