package feed

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var (
	t0  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
)

func TestNormalizeArticle(t *testing.T) {
	tests := []struct {
		name  string
		in    Article
		check func(t *testing.T, a Article)
	}{
		{
			name: "script and handlers removed",
			in:   Article{ID: "x", Content: `<p onclick="evil()">Hi<script>alert(1)</script><a href="javascript:alert(2)">js</a><img src=x onerror=alert(3)></p>`},
			check: func(t *testing.T, a Article) {
				for _, bad := range []string{"script", "onclick", "javascript:", "onerror", "alert"} {
					if strings.Contains(a.Content, bad) {
						t.Errorf("content still has %q: %s", bad, a.Content)
					}
				}
				if !strings.Contains(a.Content, "Hi") {
					t.Errorf("text lost: %s", a.Content)
				}
			},
		},
		{
			name: "relative links resolved against the article",
			in: Article{ID: "x", URL: "https://example.org/blog/post/",
				Content: `<a href="../other">o</a><img src="/img/a.png" srcset="a.png 1x, /b.png 2x"><a href="mailto:me@example.org">m</a><a href="#top">t</a>`},
			check: func(t *testing.T, a Article) {
				for _, want := range []string{
					`href="https://example.org/blog/other"`,
					`src="https://example.org/img/a.png"`,
					`srcset="https://example.org/blog/post/a.png 1x, https://example.org/b.png 2x"`,
					`href="mailto:me@example.org"`,
					`href="https://example.org/blog/post/#top"`,
				} {
					if !strings.Contains(a.Content, want) {
						t.Errorf("content lacks %s: %s", want, a.Content)
					}
				}
			},
		},
		{
			name: "relative item link resolved against Base, then canonical, anchor kept",
			in:   Article{ID: "x", Base: "https://example.org/news/", URL: "2026/item?utm_source=rss&id=7#c"},
			check: func(t *testing.T, a Article) {
				if want := "https://example.org/news/2026/item?id=7#c"; a.URL != want {
					t.Errorf("URL = %q, want %q", a.URL, want)
				}
			},
		},
		{
			name: "javascript item link dropped, ID falls back",
			in:   Article{URL: "javascript:alert(1)", Title: "t", Content: "<p>c</p>"},
			check: func(t *testing.T, a Article) {
				if a.URL != "" {
					t.Errorf("URL = %q, want empty", a.URL)
				}
				if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a.ID) {
					t.Errorf("ID = %q, want a v5 urn:uuid", a.ID)
				}
			},
		},
		{
			name: "XML-forbidden characters removed",
			in:   Article{ID: "x\x00", Title: "A\x01B\x0bC\uFFFE\uFFFFD\tE", Content: "<p>x\x1fy</p>", Summary: "s\x08t"},
			check: func(t *testing.T, a Article) {
				if a.Title != "ABCD E" || a.ID != "x" || a.Summary != "st" || a.Content != "<p>xy</p>" {
					t.Errorf("got title %q id %q summary %q content %q", a.Title, a.ID, a.Summary, a.Content)
				}
			},
		},
		{
			name: "invalid UTF-8 dropped",
			in:   Article{ID: "x", Title: "caf\xe9 ok"},
			check: func(t *testing.T, a Article) {
				if a.Title != "caf ok" {
					t.Errorf("title = %q", a.Title)
				}
			},
		},
		{
			name: "summary from content, cut at a word",
			in:   Article{ID: "x", Content: "<p>" + strings.Repeat("word ", 100) + "</p>"},
			check: func(t *testing.T, a Article) {
				if n := utf8.RuneCountInString(a.Summary); n > defaultSummaryLength || n < defaultSummaryLength-10 {
					t.Errorf("summary has %d characters", n)
				}
				if !strings.HasSuffix(a.Summary, "word…") {
					t.Errorf("summary not cut at a word: %q", a.Summary[len(a.Summary)-20:])
				}
			},
		},
		{
			name: "HTML summary becomes text",
			in:   Article{ID: "x", Summary: "<p>Fish &amp; <b>chips</b></p><p>today</p>"},
			check: func(t *testing.T, a Article) {
				if a.Summary != "Fish & chips today" {
					t.Errorf("summary = %q", a.Summary)
				}
			},
		},
		{
			name: "title trimmed, falls back to text",
			in:   Article{ID: "x", Title: "  \n ", Content: "<p>First words of the body</p>"},
			check: func(t *testing.T, a Article) {
				if a.Title != "First words of the body" {
					t.Errorf("title = %q", a.Title)
				}
			},
		},
		{
			name: "dates to UTC seconds, updated from published",
			in:   Article{ID: "x", Published: time.Date(2026, 3, 1, 13, 0, 0, 999, time.FixedZone("CET", 3600))},
			check: func(t *testing.T, a Article) {
				if !a.Published.Equal(t0) || a.Published.Location() != time.UTC || !a.Updated.Equal(t0) {
					t.Errorf("published %v updated %v", a.Published, a.Updated)
				}
			},
		},
		{
			name: "future date clamped",
			in:   Article{ID: "x", Published: now.Add(72 * time.Hour)},
			check: func(t *testing.T, a Article) {
				if !a.Published.Equal(now) {
					t.Errorf("published %v, want %v", a.Published, now)
				}
			},
		},
		{
			name: "undated gets now",
			in:   Article{ID: "x"},
			check: func(t *testing.T, a Article) {
				if !a.Published.Equal(now) || !a.Updated.Equal(now) {
					t.Errorf("published %v updated %v", a.Published, a.Updated)
				}
			},
		},
		{
			name: "updated never before published",
			in:   Article{ID: "x", Published: t0, Updated: t0.Add(-time.Hour)},
			check: func(t *testing.T, a Article) {
				if !a.Updated.Equal(t0) {
					t.Errorf("updated %v", a.Updated)
				}
			},
		},
		{
			name: "tags trimmed and deduplicated",
			in:   Article{ID: "x", Tags: []string{" Go ", "go", "", "News"}},
			check: func(t *testing.T, a Article) {
				if diff := cmp.Diff([]string{"Go", "News"}, a.Tags); diff != "" {
					t.Errorf("tags (-want +got):\n%s", diff)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize([]Article{tt.in}, Options{Now: now})
			if len(got) != 1 {
				t.Fatalf("got %d articles", len(got))
			}
			tt.check(t, got[0])
		})
	}
}

func TestNormalizeSortAndDedupe(t *testing.T) {
	in := []Article{
		{ID: "a", URL: "https://e.org/a", Published: t0},
		{ID: "b", URL: "https://e.org/b", Published: t0.Add(2 * time.Hour)},
		{ID: "a", URL: "https://e.org/a-again", Published: t0.Add(-time.Hour)},                 // same ID
		{ID: "c", URL: "https://e.org/b?utm_source=x#frag", Published: t0.Add(-2 * time.Hour)}, // other anchor: distinct
		{ID: "e", URL: "https://e.org/b", Published: t0.Add(-3 * time.Hour)},                   // same link, own ID: distinct
		{ID: "d", URL: "https://e.org/d", Published: t0.Add(2 * time.Hour)},                    // tie with b: by ID
	}
	got := Normalize(in, Options{})
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if diff := cmp.Diff([]string{"b", "d", "a", "c", "e"}, ids); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if in[3].URL != "https://e.org/b?utm_source=x#frag" {
		t.Error("Normalize modified its input")
	}
}

func TestFilter(t *testing.T) {
	items := Normalize([]Article{
		{ID: "1", Title: "China trade talks", Published: now.Add(-time.Hour)},
		{ID: "2", Title: "Sponsored: china deals", Published: now.Add(-2 * time.Hour)},
		{ID: "3", Title: "Weather", Content: "<p>Rain over China</p>", Published: now.Add(-3 * time.Hour)},
		{ID: "4", Title: "Old china story", Published: now.Add(-40 * 24 * time.Hour)},
		{ID: "5", Title: "Sports", Published: now.Add(-4 * time.Hour)},
		{ID: "6", Title: "Markets", Summary: "Shares in China fell", Published: now.Add(-5 * time.Hour)},
		{ID: "7", Title: "Football", Tags: []string{"china"}, Published: now.Add(-6 * time.Hour)},
	}, Options{})
	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"none", Filter{}, []string{"1", "2", "3", "5", "6", "7", "4"}},
		// Title, summary and content text match; tags do not.
		{"include on title, summary and content", Filter{Include: []*regexp.Regexp{regexp.MustCompile("(?i)china")}}, []string{"1", "2", "3", "6", "4"}},
		{"exclude", Filter{Include: []*regexp.Regexp{regexp.MustCompile("(?i)china")}, Exclude: []*regexp.Regexp{regexp.MustCompile("(?i)sponsored")}}, []string{"1", "3", "6", "4"}},
		{"max age", Filter{MaxAge: 720 * time.Hour}, []string{"1", "2", "3", "5", "6", "7"}},
		{"limit", Filter{Limit: 2}, []string{"1", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range tt.filter.Apply(items, now) {
				got = append(got, a.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzNormalize feeds arbitrary text into every field: Normalize must not
// panic, and its output must always render to well-formed feeds that
// carry every item.
func FuzzNormalize(f *testing.F) {
	f.Add("Title <b>&amp;", "<p onclick=x>hi</p><script>x</script>]]>", "summary", "../rel", "https://e.org/", "id", int64(0))
	f.Add("\x00\x01\uFFFE", "<a href='javascript:1'>x</a>", "<![CDATA[", "", "", "", int64(1e12))
	f.Add("😀", "<img srcset=', ,'>", "", "http://[::1]:80/%zz", "mailto:x", "", int64(-1))
	f.Fuzz(func(t *testing.T, title, content, summary, link, base, id string, sec int64) {
		in := []Article{{ID: id, URL: link, Base: base, Title: title, Content: content, Summary: summary,
			Author: Author{Name: title}, Tags: []string{title, summary}, Published: time.Unix(sec%1e11, 0)}}
		out := Normalize(in, Options{Now: now})
		if len(out) != 1 {
			t.Fatalf("got %d articles", len(out))
		}
		a := out[0]
		if a.ID == "" {
			t.Fatal("empty ID")
		}
		for _, s := range []string{a.ID, a.URL, a.Title, a.Content, a.Summary} {
			if !utf8.ValidString(s) || cleanText(s) != s {
				t.Fatalf("invalid text left: %q", s)
			}
		}
		fd := &Feed{Name: "f", Title: "f", BaseURL: "https://e.org/", Items: out}
		for _, fm := range Formats {
			var buf bytes.Buffer
			if err := fm.Render(&buf, fd); err != nil {
				t.Fatalf("%s: %v", fm.Name, err)
			}
			if fm.Name != JSON.Name {
				if err := wellFormed(buf.Bytes()); err != nil {
					t.Fatalf("%s not well-formed: %v\n%s", fm.Name, err, buf.String())
				}
			}
		}
	})
}

func TestHTMLTextN(t *testing.T) {
	long := "<p>" + strings.Repeat("word ", 2000) + "</p>"
	spaced := "<p>a" + strings.Repeat(" ", 5000) + "b</p><p>" + strings.Repeat("c ", 400) + "</p>"
	for _, tc := range []struct {
		name string
		in   string
		n    int
	}{{"long", long, 300}, {"whitespace runs", spaced, 300}, {"short", "<p>Short &amp; sweet</p>", 300}, {"unlimited", long, -1}} {
		full := HTMLText(tc.in, -1)
		got := HTMLText(tc.in, tc.n)
		if !strings.HasPrefix(full, got) {
			t.Errorf("%s: %q is not a prefix of the full text", tc.name, got)
		}
		if tc.n >= 0 && utf8.RuneCountInString(full) > tc.n && utf8.RuneCountInString(got) <= tc.n {
			t.Errorf("%s: got %d characters, want more than %d so a cut shows", tc.name, utf8.RuneCountInString(got), tc.n)
		}
		if tc.n < 0 && got != full {
			t.Errorf("%s: unlimited text differs", tc.name)
		}
		// Summaries are the same as when cut from the full text.
		if a, b := truncateWords(got, 300), truncateWords(full, 300); a != b {
			t.Errorf("%s: summary %q, want %q", tc.name, a, b)
		}
	}
}

func TestCollapseSpace(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a", "a b": "a b", " a": "a", "a ": "a", "a  b": "a b", "a\tb": "a b",
		"\n a \r\n b \u00a0c\u2003": "a b c", "   ": "", "é  ü": "é ü", "a b c d": "a b c d",
	} {
		if got := CollapseSpace(in); got != want {
			t.Errorf("CollapseSpace(%q) = %q, want %q", in, got, want)
		}
		if got, old := CollapseSpace(in), strings.Join(strings.Fields(in), " "); got != old {
			t.Errorf("CollapseSpace(%q) = %q, strings.Fields gives %q", in, got, old)
		}
	}
}
