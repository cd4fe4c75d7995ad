package upstream

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestUpstreamItemsNeverSilentlyEmpty: a document that has items yields
// them, or an error that says why; never an empty list without a word.
func TestUpstreamItemsNeverSilentlyEmpty(t *testing.T) {
	tests := []struct {
		name, body string
		items      int
		err        string // substring of the error; "" for none
		log        string // substring of the log
	}{
		{"empty feed is fine", `<rss version="2.0"><channel><title>t</title></channel></rss>`, 0, "", ""},
		{"cut inside the first item", `<rss version="2.0"><channel><title>t</title><item><title>a`, 0, "parsing feed", ""},
		{"unclosed channel title", `<rss version="2.0"><channel><title>t<item><title>a</title></item><item><title>b</title></item></channel></rss>`, 2, "", "recovered"},
		{"stray end tag", `<rss version="2.0"><channel><title>t</title><item><title>a</title></b></item></channel></rss>`, 1, "", ""},
		{"JSON not JSON", `{"items": [}`, 0, "JSON Feed: not valid JSON at line 1", ""},
		{"JSON items not a list", `{"items": "x"}`, 0, "items is a string, want an array", ""},
		{"JSON without items", `{"version": "https://jsonfeed.org/version/1.1"}`, 0, "no items array", ""},
		{"JSON bad field", `{"items": [{"id": "1", "tags": 3, "content_text": "x"}]}`, 1, "", "items[0].tags: a number where an array belongs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			items, err := upstreamItems(context.Background(), []byte(tt.body), "", "https://up.example/feed", slog.New(slog.NewTextHandler(&logs, nil)))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error = %v, want one with %q", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "Go ") {
				t.Errorf("error shows Go internals: %v", err)
			}
			if len(items) != tt.items {
				t.Errorf("%d items, want %d", len(items), tt.items)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log lacks %q:\n%s", tt.log, logs.String())
			}
		})
	}
}
