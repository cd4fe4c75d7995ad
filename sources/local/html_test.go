package local

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources/extract"
)

func TestReadHTML(t *testing.T) {
	runReaderCases(t, "html", func(data []byte, tr *extract.Trailers) (feed.Article, error) {
		return ReadHTML(context.Background(), data, tr)
	}, []readerCase{
		// Chrome, scripts, widgets, comments and the repeated title go;
		// metadata comes from the head.
		{file: "wordpress.html", want: feed.Article{
			Title:     "Seed Pods",
			URL:       "https://garden.example/seed-pods/",
			Author:    feed.Author{Name: "Gus Gardener"},
			Summary:   "Why pods split.",
			Tags:      []string{"botany", "seeds"},
			Published: testDate("2024-05-01T08:00:00Z"),
			Updated:   testDate("2024-05-02T09:30:00Z"),
			// The article's blocks without the wrappers around them.
			Content: "<p>Pods split when <em>dry</em>.</p>\n\n<p>Rain closes them again.</p>",
		}},
		{file: "title-tag.html", want: feed.Article{Title: "Plain Title", Content: "<p>Body only.</p>"}},
		// The site name after the heading text goes; the heading too.
		{file: "title-suffix.html", want: feed.Article{Title: "Seed Pods", Content: "<p>Body.</p>"}},
		// A site name in the page header's h1 is not the title.
		{file: "title-site-first.html", want: feed.Article{Title: "Garden Blog | Seed Pods", Content: "<h2>Seed Pods</h2><p>Body.</p>"}},
		{file: "title-site-body.html", want: feed.Article{Title: "Garden Blog | Seed Pods", Content: "<p>Body.</p>"}},
		{file: "h1-only.html", want: feed.Article{Title: "Heading Title", Content: "<p>Text under it.</p>"}},
		{file: "meta-date.html", want: feed.Article{
			Title: "Meta Date", URL: "https://site.example/meta-date",
			Author:    feed.Author{URL: "https://people.example/kim"},
			Published: testDate("2021-07-04T00:00:00Z"), Content: "<p>x</p>",
		}},
		{file: "time-datetime.html", want: feed.Article{
			Title: "Time Tag", Tags: []string{"one", "two"},
			Published: testDate("2020-02-29T13:14:00Z"),
			Content:   `<p>Posted <time datetime="2020-02-29 13:14">leap day</time>.</p>`,
		}},
		{file: "itemprop.html", want: feed.Article{
			Title: "Itemprop", Published: testDate("2019-01-01T00:00:00Z"), Updated: testDate("2019-01-02T00:00:00Z"),
			Content: `<p>Body.</p>`,
		}},
		{file: "charset-1252.html", want: feed.Article{Title: "Café", Content: "<p>“Hi”</p>"}},
		{file: "charset-latin1-http-equiv.html", want: feed.Article{Title: "Naïve", Content: "<p>© 2024</p>"}},
		{file: "charset-koi8.html", want: feed.Article{Title: "Привет", Content: "<p>мир</p>"}},
		// Declared UTF-8 but not: Windows-1252, never U+FFFD.
		{file: "declared-utf8-bad.html", want: feed.Article{Title: "Lying", Content: "<p>naïve</p>"}},
		// The non-UTF-8 byte is past the first KiB.
		{file: "undeclared-1252.html", want: feed.Article{Title: "Undeclared", Content: "<p>" + strings.Repeat("x", 1100) + " café</p>"}},
		{file: "trailer-text.html", want: feed.Article{Title: "Text Lines", Content: "Intro line.<br/>More intro.<br/>"}},
		{file: "trailer-block.html", want: feed.Article{Title: "Blocks", Content: "<p>Kept.</p><div><p>Also kept.</p></div>"}},
		{file: "widgets.html", want: feed.Article{Title: "Widgets", Content: "<p>Kept.</p><p>End.</p>"}},
		// A relative canonical URL is relative to an unknown site: og:url wins.
		{file: "canonical-relative.html", want: feed.Article{Title: "Relative", URL: "https://site.example/abs", Content: "<p>x</p>"}},
		{file: "no-title.html", wantErr: ErrUntitled},
		{file: "blank.html", wantErr: ErrUntitled},
	})
}
