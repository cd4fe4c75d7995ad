package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// discoverSite serves the pages herald add and herald preview look at.
func discoverSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	var base string
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, strings.ReplaceAll(body, "BASE", base))
		}
	}
	const posts = `<main><article class="post"><h2><a href="/2026/03/01/first-post-here">The first post is here</a></h2><time datetime="2026-03-01">1 March</time><p>Words of the first post, enough of them.</p></article>
<article class="post"><h2><a href="/2026/02/20/second-post-here">The second post follows it</a></h2><time datetime="2026-02-20">20 Feb</time><p>The second one has words of its own.</p></article>
<article class="post"><h2><a href="/2026/02/10/third-post-here">A third post, older still</a></h2><time datetime="2026-02-10">10 Feb</time><p>And the third has a few words as well.</p></article></main>`
	mux.HandleFunc("/blog/", page(`<html><head><title>A blog</title></head><body><nav><a href="/about">About</a></nav>`+posts+`</body></html>`))
	mux.HandleFunc("/withfeed/", page(`<html><head><title>Has a feed</title><link rel="alternate" type="application/rss+xml" href="/broken.xml"><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>`+posts+`</body></html>`))
	mux.HandleFunc("/broken.xml", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>F</title><link>%[1]s/</link>
<item><title>From the feed</title><link>%[1]s/2026/03/01/first-post-here</link><pubDate>Sun, 01 Mar 2026 10:00:00 GMT</pubDate></item></channel></rss>`, base)
	})
	mux.HandleFunc("/marketing/", page(`<html><body><nav><a href="/pricing">Pricing</a><a href="/login">Log in</a></nav><main><h1>Sync your files</h1><div class="card"><h3>Fast</h3><a href="/features/fast">Learn more</a></div><div class="card"><h3>Safe</h3><a href="/features/safe">Learn more</a></div></main></body></html>`))
	mux.HandleFunc("/logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL
	return srv
}

const addConfig = `# My feeds.
title: Test site   # shown on the index
base_url: http://news.example/

sources:
  # Notes I write myself.
  - name: articles
    type: files
    path: ./articles

# What is published.
feeds:
  - name: world
    title: World
    sources: [articles]   # one for now
`

func TestAdd(t *testing.T) {
	srv := discoverSite(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
		after  string // the config after, when it changes ("" when it must not)
	}{
		{
			name: "advertised feed that answers", args: []string{srv.URL + "/withfeed/", "--name", "withfeed"},
			stdout: []string{"type: feed", `url: "` + srv.URL + `/feed.xml"`, "advertised feed " + srv.URL + "/broken.xml skipped", "1. From the feed"},
		},
		{
			name: "url is itself a feed", args: []string{srv.URL + "/feed.xml", "--name", "f"},
			stdout: []string{"is itself a feed (rss)", "type: feed", "preview: 1 items"},
		},
		{
			name: "page source, detected", args: []string{srv.URL + "/blog/", "--name", "blog"},
			stdout: []string{"type: page", "# detected: html", `# item: "main > article.post"`, "1. The first post is here", "2026-03-01 00:00 UTC", "3. A third post, older still"},
		},
		{
			name: "write with a feed keeps the comments", args: []string{srv.URL + "/blog/", "--name", "blog", "--write", "--feed"},
			stdout: []string{"added source blog to", "with the feed blog"},
			after: strings.Replace(strings.Replace(addConfig, "    path: ./articles\n", "    path: ./articles\n  - name: blog\n    type: page\n    url: \""+srv.URL+"/blog/\"\n    # detected: html (read again at each collection); to freeze it, uncomment:\n    # item: \"main > article.post\"\n    # title: \"h2\"\n    # link: \"h2 > a\"\n    # date: \"time\"\n    # summary: \"p\"\n", 1),
				"    sources: [articles]   # one for now\n", "    sources: [articles]   # one for now\n  - name: blog\n    title: \"A blog\"\n    sources: [blog]\n", 1),
		},
		{name: "name exists", args: []string{srv.URL + "/blog/", "--name", "articles", "--write"}, code: exitUsage, stderr: `already has a source named "articles"`},
		{name: "feed name exists", args: []string{srv.URL + "/blog/", "--name", "world", "--write", "--feed"}, code: exitUsage, stderr: `already has a feed named "world"`},
		{name: "no article list", args: []string{srv.URL + "/marketing/", "--write"}, code: exitPartial, stderr: "no article list found on the page (tried json-ld, microdata, html, embedded-json)"},
		{name: "not html", args: []string{srv.URL + "/logo.png", "--write"}, code: exitPartial, stderr: "not an HTML page"},
		{name: "unreachable", args: []string{srv.URL + "/missing", "--write"}, code: exitPartial, stderr: "cannot fetch"},
		{name: "refused scheme", args: []string{"file:///etc/passwd", "--write"}, code: exitUsage, stderr: "want an absolute http or https URL"},
		{name: "bad name", args: []string{srv.URL + "/blog/", "--name", "Blog!"}, code: exitUsage, stderr: "want lower-case letters"},
		{name: "no url", args: nil, code: exitUsage, stderr: "add: missing URL"},
		{name: "feed without write", args: []string{srv.URL + "/blog/", "--feed"}, code: exitUsage, stderr: "it needs --write"},
	}
	t.Run("no configuration file, no --write", func(t *testing.T) {
		code, stdout, stderr := runCmd(t, "add", srv.URL+"/blog/", "--config", filepath.Join(t.TempDir(), "config.yaml"))
		if code != 0 || !strings.Contains(stdout, "- name: 127-0-0-1\n    type: page") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			writeFile(t, cfg, addConfig)
			os.MkdirAll(filepath.Join(dir, "articles"), 0o755)
			code, stdout, stderr := runCmd(t, append([]string{"add"}, append(tt.args, "--config", cfg)...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
			got, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.after
			if want == "" {
				want = addConfig
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("config after (-want +got):\n%s", diff)
			}
			if tt.after != "" {
				if code, _, stderr := runCmd(t, "check", "--config", cfg); code != 0 {
					t.Errorf("check of the written config: exit %d\n%s", code, stderr)
				}
			}
		})
	}
}

func TestPreview(t *testing.T) {
	srv := discoverSite(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.MkdirAll(filepath.Join(dir, "articles"), 0o755)
	writeFile(t, filepath.Join(dir, "articles", "a.md"), "---\ntitle: A local note\ndate: 2026-01-05\n---\nSome words of the note.\n")
	writeFile(t, cfg, `title: T
base_url: http://news.example/
sources:
  - name: articles
    type: files
    path: ./articles
  - name: blog
    type: page
    url: `+srv.URL+`/blog/
  - name: blog-dates
    type: page
    url: `+srv.URL+`/blog/
    item: article
    title: h2
    link: h2 a
    date: p
  - name: gone
    type: page
    url: `+srv.URL+`/marketing/
  - name: upstream
    type: feed
    url: `+srv.URL+`/feed.xml
feeds:
  - name: all
    title: All
    sources: [articles, blog, blog-dates, gone, upstream]
`)
	tests := []struct {
		name   string
		source string
		code   int
		stdout []string
		stderr string
	}{
		{name: "page, detected", source: "blog", stdout: []string{"blog (page " + srv.URL + "/blog/): 3 items; nothing published",
			"1. The first post is here\n   2026-03-01 00:00 UTC  " + srv.URL + "/2026/03/01/first-post-here\n   Words of the first post, enough of them.",
			"info: detected article list strategy=html"}},
		{name: "feed", source: "upstream", stdout: []string{"upstream (feed " + srv.URL + "/feed.xml): 1 items", "1. From the feed\n   2026-03-01 10:00 UTC  " + srv.URL + "/2026/03/01/first-post-here"}},
		{name: "files", source: "articles", stdout: []string{"articles (files ", "1. A local note", "2026-01-05"}},
		{name: "warnings shown", source: "blog-dates", stdout: []string{"3 items", "warn: unreadable date"}},
		{name: "failing source", source: "gone", code: exitPartial, stdout: []string{"0 items"}, stderr: "no article list found"},
		{name: "unknown source", source: "nope", code: exitUsage, stderr: `no source "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "preview", tt.source, "--config", cfg)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
		})
	}
	// Nothing stored or written: no data_dir, nothing new beside the config.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"articles", "config.yaml"}, names); diff != "" {
		t.Errorf("files beside the config (-want +got):\n%s", diff)
	}
}
