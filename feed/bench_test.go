package feed

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// BenchmarkRender renders a 10,000-item feed in each format.
func BenchmarkRender(b *testing.B) {
	items := make([]Article, 10000)
	body := "<p>" + strings.Repeat("The committee met again on Tuesday to weigh the proposal. ", 30) + "</p>"
	for i := range items {
		items[i] = Article{
			ID: fmt.Sprintf("https://e.org/%d", i), URL: fmt.Sprintf("https://e.org/%d", i),
			Title: fmt.Sprintf("Story %d", i), Content: body, Summary: body[3:300],
			Author: Author{Name: "Writer"}, Tags: []string{"a", "b"},
			Published: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Updated: time.Date(2026, 1, 2, 0, 0, i, 0, time.UTC),
		}
	}
	fd := &Feed{Name: "bench", Title: "Bench", BaseURL: "https://e.org/", Items: items}
	for _, f := range Formats {
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				if err := f.Render(io.Discard, fd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
