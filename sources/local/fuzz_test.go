package local

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldfeed/herald/feed"
)

// fuzzCheck holds for every reader and input: no panic (the fuzzer
// catches those), valid UTF-8 out, and either an article with a title or
// an error.
func fuzzCheck(t *testing.T, a feed.Article, err error) {
	if err != nil {
		if errors.Is(err, ErrUntitled) && a.Title != "" {
			t.Errorf("ErrUntitled with title %q", a.Title)
		}
		return
	}
	if a.Title == "" {
		t.Error("no error and no title")
	}
	if a.Title != strings.TrimSpace(a.Title) {
		t.Errorf("title %q not trimmed", a.Title)
	}
	for name, s := range map[string]string{"title": a.Title, "content": a.Content, "summary": a.Summary, "author": a.Author.Name, "url": a.URL} {
		if !utf8.ValidString(s) {
			t.Errorf("%s is not valid UTF-8: %q", name, s)
		}
	}
	for _, tag := range a.Tags {
		if !utf8.ValidString(tag) {
			t.Errorf("tag %q is not valid UTF-8", tag)
		}
	}
}

func FuzzReadText(f *testing.F) {
	f.Add([]byte("Title\n\nBody & <b>.\nLine two.\n\nShare this:\n\nTwitter\n"))
	f.Add([]byte("\xef\xbb\xbfBOM\r\n\r\nCRLF body\r\n"))
	f.Add([]byte("Caf\xe9 \x93quoted\x94\r\rCR body \x81"))
	f.Add([]byte{0xff, 0xfe, 'T', 0, '\n', 0, 'x'})
	f.Add([]byte("   \n\t\n"))
	tr := testTrailers(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := readText(data, tr)
		fuzzCheck(t, a, err)
	})
}

func FuzzReadMarkdown(f *testing.F) {
	f.Add([]byte("---\ntitle: T\ndate: 2024-01-02\ntags: [a, b]\nauthor: {name: A, email: a@b}\n---\n# T\n\nBody *x*.\n\n## About the Author\n\nBio.\n"))
	f.Add([]byte("Intro\n\n## Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
	f.Add([]byte("---\ntitle: [x\n---\n"))
	f.Add([]byte("---\n---\n**bold** line\n<div>raw</div>\n"))
	f.Add([]byte("\xef\xbb\xbf# R\xe9sum\xe9\r\n\r\n\x93q\x94\r\n"))
	// Shapes that were quadratic, and past the nesting bound.
	f.Add([]byte("# T\n\n" + strings.Repeat("[a](", 50)))
	f.Add([]byte("# T\n\n" + strings.Repeat(">", 120) + " x"))
	f.Add([]byte("# T\n\n" + strings.Repeat("- ", 120) + "x"))
	f.Add([]byte("# T\n\n" + strings.Repeat("[", 60) + "a" + strings.Repeat("]", 60)))
	tr := testTrailers(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadMarkdown(context.Background(), data, tr, nil)
		fuzzCheck(t, a, err)
	})
}

func FuzzReadHTML(f *testing.F) {
	f.Add([]byte(`<html><head><meta charset="utf-8"><title>T</title><meta property="article:published_time" content="2024-01-02T00:00:00Z"></head><body><article><h1>T</h1><p>Body</p><div class="sharedaddy">s</div><h3>Leave a Reply</h3><p>x</p></article></body></html>`))
	f.Add([]byte(`<meta charset="koi8-r"><title>` + "\xf0\xd2" + `</title><p>x</p>`))
	f.Add([]byte("<title>Caf\xe9</title>Line<br>Share this:<br>x"))
	f.Add([]byte(`<h1>H</h1><main><time datetime="bad">t</time><link rel="canonical" href="https://x/"></main>`))
	f.Add([]byte("\xfe\xff\x00<\x00t"))
	f.Add([]byte("<title>T</title>" + strings.Repeat("<a><p>", 40) + strings.Repeat("<b><i></b></i>", 40)))
	f.Add([]byte("<title>T</title>" + strings.Repeat("<table><tr><td>", 200)))
	tr := testTrailers(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadHTML(context.Background(), data, tr)
		fuzzCheck(t, a, err)
	})
}
