package server

import "testing"

func TestPrefersHTML(t *testing.T) {
	tests := []struct {
		name   string
		accept []string
		want   bool
	}{
		{"chromium", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"}, true},
		{"firefox", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, true},
		{"none", nil, false},
		{"wildcard only", []string{"*/*"}, false},
		{"reader", []string{"application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, */*;q=0.1"}, false},
		{"reader that also takes html", []string{"application/atom+xml, text/html;q=0.5"}, false},
		{"tie goes to the feed", []string{"text/html, application/rss+xml"}, false},
		{"html refused", []string{"text/html;q=0, */*"}, false},
		{"upper case, two fields", []string{"application/xml;q=0.5", "TEXT/HTML"}, true},
		{"malformed q counts as 1", []string{"text/html;q=high, application/xml;q=0.9"}, true},
	}
	for _, tt := range tests {
		if got := prefersHTML(tt.accept); got != tt.want {
			t.Errorf("%s: prefersHTML(%q) = %v, want %v", tt.name, tt.accept, got, tt.want)
		}
	}
}

// FuzzPrefersHTML: any Accept value is read without panicking, and the
// fast path's test (an Accept naming text/html goes to net/http) covers
// every request prefersHTML would give application/xml, so the fast path
// never answers one with the feed's own type.
func FuzzPrefersHTML(f *testing.F) {
	f.Add("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	f.Add("application/rss+xml, text/html;q=0.1")
	f.Add("TEXT/HTML;Q=1")
	f.Fuzz(func(t *testing.T, accept string) {
		if prefersHTML([]string{accept}) && !containsFold([]byte(accept), "text/html") {
			t.Fatalf("prefersHTML(%q) with no text/html the fast path would see", accept)
		}
	})
}
