package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkGenerate measures `herald generate` end to end on a folder of
// 10,000 articles (a mix of .txt and .md, about 2 KB each) published in one
// feed of all 10,000 items: reading, normalizing, rendering all three
// formats and the article pages, and writing the output folder.
//
//	go test ./cmd/herald -run '^$' -bench Generate -benchtime 5x
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
	out := filepath.Join(dir, "public")
	b.ResetTimer()
	for b.Loop() {
		if err := generate(context.Background(), cfg, out, log, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	body, err := os.ReadFile(filepath.Join(out, "all.json"))
	if err != nil {
		b.Fatal(err)
	}
	if got := strings.Count(string(body), `"id":`); got != n {
		b.Fatalf("all.json has %d items, want %d", got, n)
	}
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
