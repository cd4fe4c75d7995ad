package extract

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
)

// articleKeep are phrases of testdata/article.html's article, one for each
// kind of content that must survive extraction: paragraphs, a heading, a
// list, a quote, a figure's caption, a table, code.
var articleKeep = []string{
	"For the first time in forty years",
	"The return follows a decade of work",
	"What brought them back",
	"willow cover restored along both banks",
	"We waited a long time for this",
	"A family of otters on the gravel bank below the weir at dawn.",
	"610 eels",
	"wend,otter,4,2024-03-02",
	"keep dogs on a lead near the banks",
}

// clutter is one kind of site chrome put into the article page, with the
// phrases of it that must not reach the content.
type clutter struct {
	name  string
	where string // the CLUTTER:… marker it replaces: top, middle, end, after
	html  string
	cut   []string
}

var clutters = []clutter{
	{"share widget", "end",
		`<div class="share-buttons"><span>Share this article</span><a href="#">Facebook</a><a href="#">Twitter</a><a href="#">Email</a></div>`,
		[]string{"Share this article", "Facebook"}},
	{"share line without classes", "end",
		`<p>Share this:</p><ul><li><a href="#">Click to share on Twitter</a></li><li><a href="#">Click to share on Facebook</a></li></ul>`,
		[]string{"Share this", "Click to share"}},
	{"follow widget", "end",
		`<div class="social-follow"><p>Follow The Valley Courier on Mastodon, Bluesky and Instagram for more wildlife news.</p></div>`,
		[]string{"Follow The Valley Courier"}},
	{"related list", "end",
		`<section class="related-stories"><h2>Related stories</h2><ul><li><a href="/a">Beavers dam the upper Wend again</a></li><li><a href="/b">Council votes to fund new fish passes</a></li></ul></section>`,
		[]string{"Related stories", "Beavers dam the upper Wend", "Council votes to fund"}},
	{"related list without classes", "end",
		`<div><h3>You may also like</h3><ul><li><a href="/a">Beavers dam the upper Wend again</a></li><li><a href="/b">Council votes to fund new fish passes</a></li></ul></div>`,
		[]string{"You may also like", "Beavers dam the upper Wend"}},
	{"most read", "after",
		`<aside class="most-read"><h2>Most read</h2><ol><li><a href="/c">Flood warning lifted for the lower valley towns</a></li><li><a href="/d">Mill reopens as a bakery after two years</a></li></ol></aside>`,
		[]string{"Most read", "Flood warning lifted", "Mill reopens"}},
	{"newsletter box", "middle",
		`<div class="newsletter-signup"><h3>Sign up for our newsletter</h3><p>Get the Valley Courier morning briefing in your inbox every weekday.</p><form><input type="email"><button>Subscribe</button></form></div>`,
		[]string{"Sign up for our newsletter", "morning briefing"}},
	{"paywall box", "end",
		`<div class="piano-offer"><p>You have read 3 of your 5 free articles this month. Subscribe today for unlimited access to the Valley Courier.</p></div>`,
		[]string{"free articles this month"}},
	{"comments", "after",
		`<section id="comments" class="comments-area"><h2>3 Comments</h2><ol class="commentlist"><li><p>Wonderful news, I saw one near the bridge last week!</p></li><li><p>Finally some good news from the valley for once.</p></li></ol><div id="respond"><h3>Leave a Reply</h3><form><textarea></textarea></form></div></section>`,
		[]string{"3 Comments", "saw one near the bridge", "Leave a Reply"}},
	{"author bio", "end",
		`<div class="author-bio"><img src="/img/mara.jpg" alt=""><p>Mara Lind covers the environment for the Valley Courier. She has lived by the Wend for twenty years.</p></div>`,
		[]string{"covers the environment for the Valley Courier"}},
	{"cookie banner", "top",
		`<div id="cookie-consent" class="cookie-banner"><p>We use cookies to improve your experience and to show you personalised adverts.</p><button>Accept all</button></div>`,
		[]string{"We use cookies", "Accept all"}},
	{"ad", "middle",
		`<div class="adsbygoogle" data-ad-slot="123"><span>Advertisement</span></div>`,
		[]string{"Advertisement"}},
	{"photo credit", "middle",
		`<figure><img src="/img/weir.jpg" alt=""><figcaption>Photo: Getty Images / Valley Courier</figcaption></figure>`,
		[]string{"Getty Images"}},
	{"navigation", "top",
		`<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/news">News</a> › <a href="/news/nature">Nature and environment</a></nav>`,
		[]string{"Nature and environment"}},
}

func readArticle(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withClutter is the article page with c's HTML at its marker.
func withClutter(page string, c clutter) string {
	return strings.Replace(page, "<!--CLUTTER:"+c.where+"-->", c.html, 1)
}

func TestExtractCutsClutter(t *testing.T) {
	page := readArticle(t)
	trailers, err := NewTrailers(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clutters {
		for _, path := range []struct {
			name string
			url  *url.URL
		}{{"saved page", nil}, {"full text", &url.URL{Scheme: "https", Host: "courier.example", Path: "/2024/otters-return"}}} {
			t.Run(c.name+"/"+path.name, func(t *testing.T) {
				html := withClutter(page, c)
				if !strings.Contains(html, c.cut[0]) {
					t.Fatalf("marker %q not in the page", c.where)
				}
				r, err := Extract(context.Background(), strings.NewReader(html), Options{URL: path.url, Trailers: trailers})
				if err != nil {
					t.Fatal(err)
				}
				text := feed.HTMLText(r.Content, -1)
				for _, k := range articleKeep {
					if !strings.Contains(text, k) {
						t.Errorf("article text %q missing from the content", k)
					}
				}
				for _, x := range c.cut {
					if strings.Contains(text, x) {
						t.Errorf("clutter %q kept in the content", x)
					}
				}
				for _, x := range []string{"Weather forecast", "All rights reserved"} {
					if strings.Contains(text, x) {
						t.Errorf("page chrome %q kept in the content", x)
					}
				}
			})
		}
	}
}

// TestExtractKeepsStructure: the content is the article's blocks, without
// the page's wrappers, and the repeated title heading is gone.
func TestExtractKeepsStructure(t *testing.T) {
	r, err := Extract(context.Background(), strings.NewReader(readArticle(t)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"<p>", "<h2>", "<ul>", "<li>", "<blockquote>", "<figure>", "<figcaption>", "<table>", "<td>", "<code>", "<img "} {
		if !strings.Contains(r.Content, tag) {
			t.Errorf("content has no %s:\n%s", tag, r.Content)
		}
	}
	if strings.Contains(r.Content, "<h1>") {
		t.Errorf("the title heading is repeated in the content")
	}
	if strings.HasPrefix(r.Content, "<div") || strings.HasPrefix(r.Content, "<article") {
		t.Errorf("content starts with a wrapper: %.60q", r.Content)
	}
}

func parseISO(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }

func TestExtractMetadata(t *testing.T) {
	date := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name  string
		page  string
		parse func(string) (time.Time, error)
		want  Result
	}{
		{"json-ld, open graph and link tags", readArticle(t), parseISO, Result{
			Title: "River Otters Return to the Valley", Author: "Mara Lind",
			URL:     "https://courier.example/2024/otters-return",
			Summary: "After forty years, otters are back in the Wend.",
			Image:   "https://courier.example/img/otters.jpg",
			// JSON-LD first; the parser keeps the zone it was given.
			Published: date("2024-03-05T07:30:00+01:00"), Modified: date("2024-03-06T10:00:00Z"),
		}},
		{"no date parser: no dates", readArticle(t), nil, Result{
			Title: "River Otters Return to the Valley", Author: "Mara Lind",
			URL:     "https://courier.example/2024/otters-return",
			Summary: "After forty years, otters are back in the Wend.",
			Image:   "https://courier.example/img/otters.jpg",
		}},
		{"untrusted date ignored, the next source used",
			`<html><head><title>T</title><meta property="article:published_time" content="last Tuesday"></head><body><article><p>x</p><time datetime="2020-01-02T03:04:05Z">then</time></article></body></html>`,
			parseISO, Result{Title: "T", Published: date("2020-01-02T03:04:05Z")}},
		{"only untrusted dates: none",
			`<html><head><title>T</title><meta name="date" content="soon"></head><body><p>x</p></body></html>`,
			parseISO, Result{Title: "T"}},
		{"author as a URL; relative canonical and image dropped",
			`<html><head><title>T</title><meta name="author" content="https://people.example/kim"><link rel="canonical" href="/a"><meta property="og:image" content="/i.png"></head><body><p>x</p></body></html>`,
			parseISO, Result{Title: "T", AuthorURL: "https://people.example/kim"}},
		{"json-ld article in a list, author a string",
			`<html><head><script type="application/ld+json">[{"@type":"Organization","name":"Org"},{"@type":["BlogPosting"],"headline":"From LD","author":"Ann","description":"LD summary","image":{"url":"https://i.example/a.png"}}]</script></head><body><p>x</p></body></html>`,
			parseISO, Result{Title: "From LD", Author: "Ann", Summary: "LD summary", Image: "https://i.example/a.png"}},
		{"broken json-ld ignored",
			`<html><head><title>T</title><script type="application/ld+json">{"@type":"NewsArticle", "headline": </script></head><body><p>x</p></body></html>`,
			parseISO, Result{Title: "T"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Extract(context.Background(), strings.NewReader(tc.page), Options{ParseDate: tc.parse})
			if err != nil && !errors.Is(err, ErrNothing) {
				t.Fatal(err)
			}
			got.Content, got.Tags = "", nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractBounds(t *testing.T) {
	t.Run("too many elements", func(t *testing.T) {
		page := "<html><body>" + strings.Repeat("<p>x</p>", maxElements) + "</body></html>"
		_, err := Extract(context.Background(), strings.NewReader(page), Options{})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Extract(ctx, strings.NewReader(readArticle(t)), Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("failing reader", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := Extract(context.Background(), failingReader{boom}, Options{})
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want the reader's error", err)
		}
	})
	t.Run("nothing readable", func(t *testing.T) {
		_, err := Extract(context.Background(), bytes.NewReader(nil), Options{})
		if !errors.Is(err, ErrNothing) {
			t.Errorf("err = %v, want ErrNothing", err)
		}
	})
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// An archive or endless page: the story whose <h1> is the page's title,
// then the next stories, each an <article> of its own.
func TestExtractDropsOtherArticles(t *testing.T) {
	story := func(head, name string) string {
		var b strings.Builder
		b.WriteString("<article class=\"post\">" + head)
		for i := range 4 {
			b.WriteString("<p>" + name + " paragraph " + string(rune('a'+i)) + " tells of the river, the mill, the weir and the people of the valley who look after them all year round, in every kind of weather.</p>")
		}
		b.WriteString("<p class=\"share\">Whatsapp Facebook Pinterest</p></article>")
		return b.String()
	}
	page := func(h1 string) string {
		return `<html><head><title>Only Ourselves — Valley Thoughts</title></head><body><main>` +
			story("<h1>"+h1+"</h1>", "First") + story("<h2>Gratitude</h2>", "Second") + story("<h2>Faith</h2>", "Third") +
			`</main></body></html>`
	}
	tests := []struct {
		name      string
		h1        string
		keep, cut []string
	}{
		{"h1 is the title", "Only Ourselves…", []string{"First paragraph a", "First paragraph d"}, []string{"Second paragraph", "Third paragraph"}},
		// An h1 that is not the page's title may head a featured story:
		// nothing is dropped for it.
		{"h1 is not the title", "Featured elsewhere", []string{"First paragraph a", "Second paragraph a"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Extract(context.Background(), strings.NewReader(page(tc.h1)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.keep {
				if !strings.Contains(r.Content, k) {
					t.Errorf("content lost %q", k)
				}
			}
			for _, c := range tc.cut {
				if strings.Contains(r.Content, c) {
					t.Errorf("content keeps %q", c)
				}
			}
		})
	}
}
