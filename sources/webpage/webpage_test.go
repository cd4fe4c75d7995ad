package webpage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

var upNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const upPageHTML = `<!DOCTYPE html>
<html><head><meta charset="windows-1252"><title>News</title></head><body>
<ul class="posts">
  <li class="post">
    <h2><a href="/news/first?utm_source=home">First  post</a></h2>
    <time datetime="2026-02-27T09:00:00+01:00">27 Feb</time>
    <div class="teaser"><p>Caf` + "\xe9" + ` <a href="more.html">more</a> <img src="img/1.png"></p></div>
  </li>
  <li class="post">
    <h2><a href="second.html">Second</a></h2>
    <span class="date">February 28th, 2026</span>
  </li>
  <li class="post"><h2>No link here</h2></li>
  <li class="post">
    <h2><a href="https://other.example/third">Third</a></h2>
    <span class="date">yesterday-ish</span>
  </li>
</ul></body></html>`

func upPage(t testing.TB, f *sources.Fetcher, cfg Config) *Page {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "page"
	}
	p, err := New(cfg, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Now = func() time.Time { return upNow }
	return p
}

func TestPageCollect(t *testing.T) {
	srv := sourcetest.NewServer(t, upPageHTML)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	pageURL := srv.URL + "/blog/index.html"
	p := upPage(t, f, Config{
		URL: pageURL, Item: "li.post", Title: "h2", Link: "h2 a", Date: "time, .date", Summary: ".teaser",
	})
	got, err := sourcetest.For(p).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []feed.Article{
		{
			ID: srv.URL + "/news/first", URL: srv.URL + "/news/first?utm_source=home", Base: pageURL,
			Title: "First post", Source: "page",
			Content:   `<p>Café <a href="more.html">more</a> <img src="img/1.png"/></p>`,
			Published: time.Date(2026, 2, 27, 8, 0, 0, 0, time.UTC),
		},
		{
			ID: srv.URL + "/blog/second.html", URL: srv.URL + "/blog/second.html", Base: pageURL,
			Title: "Second", Source: "page", Published: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC),
		},
		{
			// Unreadable date: first seen.
			ID: "https://other.example/third", URL: "https://other.example/third", Base: pageURL,
			Title: "Third", Source: "page", Published: upNow,
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPageItemIsLink(t *testing.T) {
	// Title and link selectors match the item itself too, so an item
	// selector can point straight at the links; <base href> applies, and
	// javascript: links are dropped.
	srv := sourcetest.NewServer(t, `<base href="https://cdn.example/root/"><nav><a href="a">Alpha</a><a href="/b">Beta</a><a href="javascript:void(0)">Menu</a></nav>`)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	got, err := sourcetest.For(upPage(t, f, Config{URL: srv.URL, Item: "nav a", Title: "a", Link: "a"})).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var rows [][2]string
	for _, a := range got {
		rows = append(rows, [2]string{a.Title, a.URL})
	}
	want := [][2]string{{"Alpha", "https://cdn.example/root/a"}, {"Beta", "https://cdn.example/b"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPageLayoutChanged(t *testing.T) {
	srv := sourcetest.NewServer(t, upPageHTML)
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	p := upPage(t, f, Config{URL: srv.URL, Item: "li.post", Title: "h2", Link: "h2 a"})
	good, err := sourcetest.For(p).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, body string }{
		{"item selector matches nothing", `<div class="articles"><article><a href="/x">X</a></article></div>`},
		{"items lack links", `<ul><li class="post"><h2>Only a title</h2></li></ul>`},
		{"empty body", ``},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Set(200, tt.body)
			p.Now = func() time.Time { return upNow.Add(time.Duration(i+1) * 24 * time.Hour) } // past any backoff
			got, err := sourcetest.For(p).Collect(context.Background())
			if !errors.Is(err, sources.ErrNoItems) {
				t.Fatalf("Collect error = %v, want sources.ErrNoItems", err)
			}
			if diff := cmp.Diff(good, got); diff != "" {
				t.Errorf("last good articles not kept (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewPageValidates(t *testing.T) {
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no name", Config{URL: "https://example.com/"}},
		{"bad item selector", Config{Name: "p", URL: "https://example.com/", Item: "li[class="}},
		{"bad title selector", Config{Name: "p", URL: "https://example.com/", Item: "li", Title: ":nope(1)"}},
		{"bad date selector", Config{Name: "p", URL: "https://example.com/", Item: "li", Date: ">>"}},
		{"no url", Config{Name: "p", Item: "li"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, f, nil); err == nil {
				t.Error("New: no error")
			}
		})
	}
}

func FuzzPageExtract(f *testing.F) {
	f.Add(upPageHTML, "li.post", "h2", "h2 a", "time, .date", ".teaser")
	f.Add(`<a href="x">y</a>`, "a", "a", "a", "", "")
	f.Add(`<table><tr><td><a href="//h/p">t</a><td>2026-01-01</table>`, "tr", "td:first-child", "a", "td:nth-child(2)", "td")
	f.Add("<base href=\"::\"><p><a href=\"%zz\">\x00</a>", "p", "a", "a", "a", "p")
	fetcher, _ := sourcetest.Fetcher(f, sources.FetchConfig{})
	f.Fuzz(func(t *testing.T, html, item, title, link, date, summary string) {
		p, err := New(Config{Name: "fuzz", URL: "https://example.com/dir/page",
			Item: item, Title: title, Link: link, Date: date, Summary: summary}, fetcher, nil)
		if err != nil {
			return // selectors that do not compile are rejected up front
		}
		ex, err := p.extract(sources.ToUTF8([]byte(html), "", sources.KindHTML), "https://example.com/dir/page", "text/html")
		articles := ex.articles
		if err != nil {
			if !errors.Is(err, sources.ErrNoItems) && len(articles) != 0 {
				t.Fatalf("error %v with %d articles", err, len(articles))
			}
			return
		}
		for _, a := range articles {
			if a.Title == "" || a.URL == "" || a.ID == "" {
				t.Errorf("article without title, URL or ID: %+v", a)
			}
		}
	})
}
