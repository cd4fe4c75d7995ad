package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"
)

// roundTripArticles covers what tends to break feeds: markup characters in
// titles, CDATA terminators in content, emoji, non-Latin scripts, and
// missing authors and dates.
func roundTripArticles() []Article {
	d := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	return []Article{
		{
			ID: "https://example.org/markup", URL: "https://example.org/markup",
			Title:      `Tags like <b> & "quotes" aren't 'HTML' > text`,
			Author:     Author{Name: "Ada Lovelace", Email: "ada@example.org"},
			Summary:    `Why a < b && c > d matters`,
			Content:    `<p>Comparing <code>a &lt; b</code> &amp; more.</p>`,
			Tags:       []string{"go", "xml & html"},
			Enclosures: []Enclosure{{URL: "https://example.org/ep1.mp3", Type: "audio/mpeg", Length: 123456789}, {URL: "https://example.org/ep1.ogg", Type: "audio/ogg"}},
			Published:  d("2026-01-29T10:00:00Z"), Updated: d("2026-01-30T08:30:00Z"),
		},
		{
			ID: "urn:uuid:2b7f5e8e-5c1e-5d53-9d0b-3c3a0f4f9b11", URL: "https://example.org/cdata",
			Title:     "CDATA ends with ]]> here",
			Author:    Author{Name: "Grace Hopper"},
			Summary:   "Content holding ]]> and <![CDATA[ inside.",
			Content:   `<p>The sequence ]]&gt; ends CDATA; so does ]]> in raw text.</p><pre>x[[y]]z</pre>`,
			Published: d("2026-01-28T09:15:00Z"), Updated: d("2026-01-28T09:15:00Z"),
		},
		{
			ID: "https://example.org/emoji", URL: "https://example.org/emoji",
			Title:     "Launch day 🚀🎉 and a flag 🇺🇦",
			Summary:   "Emoji 👩‍💻 survive every format.",
			Content:   "<p>Zero-width joiners 👩‍👩‍👧 and skin tones 👍🏽.</p>",
			Published: d("2026-01-27T00:00:00Z"), Updated: d("2026-01-27T00:00:00Z"),
		},
		{
			ID: "https://example.org/scripts", URL: "https://example.org/scripts",
			Title:     "Новости дня — 日本語のニュース — العربية — עברית",
			Author:    Author{Name: "Алиса Петрова"},
			Summary:   "Текст на русском, 中文文本 و نص عربي.",
			Content:   "<p>Текст на русском.</p><p>中文文本。</p><p dir=\"rtl\">نص عربي</p>",
			Published: d("2026-01-26T12:00:00Z"), Updated: d("2026-01-26T18:45:10Z"),
		},
		{
			ID: "https://example.org/anonymous", URL: "https://example.org/anonymous",
			Title:     "No author at all",
			Summary:   "Nobody signed this.",
			Content:   "<p>Nobody signed this.</p>",
			Published: d("2026-01-25T07:00:00Z"), Updated: d("2026-01-25T07:00:00Z"),
		},
		{
			ID: "https://example.org/undated", URL: "https://example.org/undated",
			Title:   "No date at all",
			Summary: "Undated.",
			Content: "<p>Undated.</p>",
		},
	}
}

func roundTripFeed() *Feed {
	return &Feed{
		Name: "world", Title: "World & <friends>", Description: "Articles about the world",
		Language: "en", Author: Author{Name: "Herald demo"},
		BaseURL: "https://news.example.org/", Items: roundTripArticles(),
	}
}

// parsed is what we compare: the fields every format must carry alike.
type parsed struct {
	Title, Link, ID, Summary, Content string
	AuthorName, AuthorEmail           string
	Published, Updated                string
	Tags                              []string
	Enclosures                        []string // "url type length"
}

func TestRoundTrip(t *testing.T) {
	fd := roundTripFeed()
	for _, f := range Formats {
		t.Run(f.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.Render(&buf, fd); err != nil {
				t.Fatal(err)
			}
			if f.Name != JSON.Name {
				checkWellFormed(t, buf.Bytes())
			}
			got, err := gofeed.NewParser().Parse(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("gofeed cannot parse our %s: %v\n%s", f.Name, err, buf.String())
			}
			if got.Title != fd.Title {
				t.Errorf("feed title = %q, want %q", got.Title, fd.Title)
			}
			if len(got.Items) != len(fd.Items) {
				t.Fatalf("got %d items, want %d", len(got.Items), len(fd.Items))
			}
			for i, it := range got.Items {
				want := expectParsed(f, fd, fd.Items[i])
				if diff := cmp.Diff(want, fromGofeed(f, it)); diff != "" {
					t.Errorf("item %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// expectParsed is what gofeed must give back for a in format f: the
// article itself, except where a format cannot say something.
func expectParsed(f Format, fd *Feed, a Article) parsed {
	p := parsed{
		Title: a.Title, Link: a.URL, ID: a.ID, Summary: a.Summary, Content: a.Content,
		AuthorName: a.Author.Name, AuthorEmail: a.Author.Email,
		Published: ts(a.Published), Updated: ts(a.Updated), Tags: a.Tags,
	}
	for i, e := range a.Enclosures {
		length := fmt.Sprint(e.Length)
		switch {
		case f.Name == RSS.Name && i > 0:
			continue // RSS 2.0 allows one enclosure per item
		case f.Name != RSS.Name && e.Length == 0:
			length = "" // optional outside RSS, so an unknown length is left out
		}
		p.Enclosures = append(p.Enclosures, e.URL+" "+e.Type+" "+length)
	}
	switch f.Name {
	case RSS.Name:
		// RSS 2.0 has no modification date.
		p.Updated = ""
	case Atom.Name:
		// atom:updated is required: an undated entry carries the feed's,
		// and gofeed reads a missing published as updated.
		if a.Updated.IsZero() {
			p.Updated = ts(fd.Updated())
			p.Published = p.Updated
		}
	case JSON.Name:
		// JSON Feed authors have a name, a URL and an avatar, no email.
		p.AuthorEmail = ""
	}
	return p
}

func fromGofeed(f Format, it *gofeed.Item) parsed {
	p := parsed{
		Title: it.Title, Link: it.Link, ID: it.GUID, Summary: it.Description, Content: it.Content,
		Published: tsp(it.PublishedParsed), Updated: tsp(it.UpdatedParsed), Tags: it.Categories,
	}
	if f.Name == RSS.Name {
		p.Summary = html.UnescapeString(p.Summary) // description is HTML
	}
	for _, e := range it.Enclosures {
		p.Enclosures = append(p.Enclosures, e.URL+" "+e.Type+" "+e.Length)
	}
	if len(it.Authors) > 0 {
		p.AuthorName, p.AuthorEmail = it.Authors[0].Name, it.Authors[0].Email
	}
	return p
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func tsp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

// checkWellFormed decodes every token with encoding/xml in strict mode,
// since gofeed forgives broken XML.
func checkWellFormed(t *testing.T, b []byte) {
	t.Helper()
	if err := wellFormed(b); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, b)
	}
}

func wellFormed(b []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestRenderEmptyFeed(t *testing.T) {
	fd := &Feed{Name: "empty", Title: "Empty", BaseURL: "https://e.org/"}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := f.Render(&buf, fd); err != nil {
			t.Fatal(err)
		}
		if f.Name == JSON.Name {
			if !strings.Contains(buf.String(), `"items":[]`) {
				t.Errorf("JSON Feed without items array:\n%s", buf.String())
			}
			continue
		}
		checkWellFormed(t, buf.Bytes())
	}
}
