package local

import (
	"context"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources/extract"
)

func TestReadMarkdown(t *testing.T) {
	text := "<p>Text.</p>"
	runReaderCases(t, "markdown", func(data []byte, tr *extract.Trailers) (feed.Article, error) {
		return ReadMarkdown(context.Background(), data, tr, nil)
	}, []readerCase{
		{file: "front-matter.md", want: feed.Article{
			Title:     "Front & Center",
			URL:       "https://example.org/front",
			Author:    feed.Author{Name: "Ada Example", Email: "ada@example.org"},
			Summary:   "A short summary.",
			Tags:      []string{"go", "feeds"},
			Published: testDate("2024-03-05T08:20:30Z"),
			Updated:   testDate("2024-03-06T00:00:00Z"),
			// The heading repeating the title is dropped.
			Content: "<p>Body with <em>emphasis</em>.</p>",
		}},
		{file: "date-only.md", want: feed.Article{Title: "Dated", Published: testDate("2023-12-31T00:00:00Z"), Content: text}},
		{file: "date-space.md", want: feed.Article{Title: "Spaced Date", Published: testDate("2023-12-31T08:15:00Z"), Updated: testDate("2024-01-01T08:30:45Z"), Content: text}},
		{file: "date-unquoted-ts.md", want: feed.Article{Title: "YAML Time", Published: time.Date(2001, 12, 15, 2, 59, 43, 100e6, time.UTC), Content: text}},
		{file: "updated-only.md", want: feed.Article{Title: "Updated Only", Updated: testDate("2022-02-02T02:02:02Z"), Content: text}},
		{file: "tags-string.md", want: feed.Article{Title: "Tag String", Author: feed.Author{Name: "Bob"}, Tags: []string{"go", "feeds", "web"}, Content: text}},
		{file: "empty-front.md", want: feed.Article{Title: "Heading Title", Content: text}},
		{file: "unknown-keys.md", want: feed.Article{Title: "Cased Key", Content: text}},
		{file: "bom-crlf.md", want: feed.Article{Title: "BOM CRLF", Content: "<p>Line one.</p>"}},
		{file: "cp1252.md", want: feed.Article{Title: "Résumé", Content: "<p>“Quoted” text.</p>"}},
		// No title in front matter: the first heading, wherever it is.
		{file: "heading.md", want: feed.Article{Title: "The Real Title", Content: "<p>Intro before the heading.</p>\n<p>More text.</p>"}},
		{file: "heading-first.md", want: feed.Article{Title: "First Heading", Content: "<p>Paragraph one.</p>\n<h2>Section</h2>\n<p>Paragraph two.</p>"}},
		// No heading either: the first line, without its markup.
		{file: "first-line.md", want: feed.Article{Title: "Bold opening line", Content: "<p>second line of the paragraph.</p>\n<p>Another paragraph.</p>"}},
		{file: "gfm.md", want: feed.Article{Title: "GFM", Content: "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n<p><del>gone</del> <span>raw</span></p>"}},
		{file: "trailer.md", want: feed.Article{Title: "Trailer MD", Content: "<p>The body stays.</p>"}},
		{file: "trailer-list.md", want: feed.Article{Title: "List Trailer", Content: "<p>The body stays.</p>"}},
		// A trailer line inside a paragraph cuts the rest of it.
		{file: "trailer-softbreak.md", want: feed.Article{Title: "Soft Break", Content: "<p>Body line one.\nBody line two.</p>"}},
		// Raw HTML blocks are matched by their text.
		{file: "trailer-htmlblock.md", want: feed.Article{Title: "Raw HTML", Content: "<p>The body stays.</p>"}},
		// Inside a list inside a quote: the rest of the list, the quote and
		// the document go.
		{file: "trailer-nested.md", want: feed.Article{Title: "Nested", Content: "<blockquote>\n<p>Quoted body.</p>\n<ul>\n<li>item</li>\n</ul>\n</blockquote>"}},
		{file: "empty.md", wantErr: ErrUntitled},
		{file: "front-only.md", wantErr: ErrUntitled},
		{file: "bad-yaml.md", errText: "front matter: [1:8]"},
		{file: "bad-date.md", errText: `front matter: ignoring date "next tuesday": not a date`},
		{file: "not-mapping.md", errText: "front matter:"},
		{file: "unclosed.md", errText: `no closing "---"`},
	})
}

func TestFilesParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC; "" for an error
	}{
		{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
		{"2024-01-02T03:04:05.123+02:00", "2024-01-02T01:04:05.123Z"},
		{"2024-01-02T03:04:05", "2024-01-02T03:04:05Z"},
		{"2024-01-02T03:04", "2024-01-02T03:04:00Z"},
		{"2024-01-02 03:04:05", "2024-01-02T03:04:05Z"},
		{"2024-01-02 03:04", "2024-01-02T03:04:00Z"},
		{"2024-01-02 03:04 +0100", "2024-01-02T02:04:00Z"},
		{"2024-01-02 03:04:05 -05:00", "2024-01-02T08:04:05Z"},
		{"  2024-01-02 ", "2024-01-02T00:00:00Z"},
		{"2024-01-02t03:04:05z", "2024-01-02T03:04:05Z"},
		{"Tue, 02 Jan 2024 03:04:05 +0000", "2024-01-02T03:04:05Z"},
		{"02/01/2024", ""},
		{"", ""},
		{"2024-13-45", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDate(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("parseDate(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDate(%q): %v", tc.in, err)
			}
			if want := testDate(tc.want); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("parseDate(%q) = %v, want %v in UTC", tc.in, got, want)
			}
		})
	}
}
