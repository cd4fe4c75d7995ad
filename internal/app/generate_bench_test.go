package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/local"
)

// BenchmarkGenerate measures `herald generate` end to end on a folder of
// 10,000 articles (a mix of .txt and .md, about 2 KB each) published in one
// feed of all 10,000 items: reading, normalizing, rendering all three
// formats and the article pages, and writing the output folder.
//
// Sub-benchmarks: feeds (read, normalize, render the three formats in
// memory), warm (the whole command over its previous output) and cold (into
// a new folder).
//
//	go test ./internal/app -run '^$' -bench Generate -benchtime 5x
func BenchmarkGenerate(b *testing.B) {
	const n = 10000
	dir := b.TempDir()
	writeArticles(b, filepath.Join(dir, "articles"), n)
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(b, cfg, fmt.Sprintf(`title: Bench
base_url: http://localhost:8080/
sources:
  - {name: articles, type: files, path: ./articles}
feeds:
  - {name: all, title: All, sources: [articles], limit: %d}
`, n))
	log := slog.New(slog.DiscardHandler)
	check := func(out string) {
		body, err := os.ReadFile(filepath.Join(out, "all.json"))
		if err != nil {
			b.Fatal(err)
		}
		if got := strings.Count(string(body), `"id":`); got != n {
			b.Fatalf("all.json has %d items, want %d", got, n)
		}
	}
	// feeds: the scope for the one-second goal — read the folder,
	// normalize, and render the three formats (one after the other, into
	// memory); no article pages, no files written.
	b.Run("feeds", func(b *testing.B) {
		src, err := local.New(local.Config{Name: "articles", Path: filepath.Join(dir, "articles"), BaseURL: "http://localhost:8080/"}, log)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer // reused: the publisher sizes its buffers up front
		for b.Loop() {
			res, err := src.Collect(context.Background(), sources.State{})
			if err != nil {
				b.Fatal(err)
			}
			arts := res.Articles
			fd := &feed.Feed{Name: "all", Title: "All", BaseURL: "http://localhost:8080/", Items: feed.Normalize(arts, feed.Options{Now: time.Now()})}
			for _, f := range feed.Formats {
				buf.Reset()
				if err := f.Render(&buf, fd); err != nil {
					b.Fatal(err)
				}
			}
			if len(fd.Items) != n {
				b.Fatalf("%d items, want %d", len(fd.Items), n)
			}
		}
	})
	// warm: the output folder holds the previous run's files, as when
	// generate runs from cron; unchanged files are not written again.
	b.Run("warm", func(b *testing.B) {
		out := filepath.Join(dir, "warm")
		if err := Generate(context.Background(), GenerateOptions{Config: cfg, Out: out, Logger: log, Stdout: io.Discard}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := Generate(context.Background(), GenerateOptions{Config: cfg, Out: out, Logger: log, Stdout: io.Discard}); err != nil {
				b.Fatal(err)
			}
		}
		check(out)
	})
	// cold: a new output folder every time, so all 10,003 files are
	// created; on a slow file system this is mostly the kernel's time.
	b.Run("cold", func(b *testing.B) {
		i := 0
		var out string
		for b.Loop() {
			i++
			out = filepath.Join(dir, fmt.Sprintf("cold%d", i))
			if err := Generate(context.Background(), GenerateOptions{Config: cfg, Out: out, Logger: log, Stdout: io.Discard}); err != nil {
				b.Fatal(err)
			}
		}
		check(out)
	})
}

func writeArticles(tb testing.TB, dir string, n int) {
	tb.Helper()
	para := strings.Repeat("The committee met again on Tuesday to weigh the proposal, and members asked for more detail on costs. ", 5)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("%02d", i%50))
		var name, body string
		if i%2 == 0 {
			name = fmt.Sprintf("story-%05d.txt", i)
			body = fmt.Sprintf("Story number %d\n\n%s\n\n%s\n\n%s\n\nAbout The Author\n\nA writer.\n", i, para, para, para)
		} else {
			name = fmt.Sprintf("note-%05d.md", i)
			body = fmt.Sprintf("---\ntitle: Note %d\ndate: %s\nauthor: Bench Writer\ntags: [bench, notes]\n---\n\n%s\n\n**Bold** and [a link](../other-%d.html).\n\n%s\n", i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), para, i, para)
		}
		writeFile(tb, filepath.Join(sub, name), body)
		mt := base.Add(-time.Duration(i) * time.Hour) // in the past: future dates are clamped to the clock
		if err := os.Chtimes(filepath.Join(sub, name), mt, mt); err != nil {
			tb.Fatal(err)
		}
	}
}

func writeFile(tb testing.TB, path, body string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		tb.Fatal(err)
	}
}
