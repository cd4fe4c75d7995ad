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
