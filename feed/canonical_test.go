package feed

import "testing"

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"fragment kept", "https://example.org/a#post-2", "https://example.org/a#post-2"},
		{"empty fragment", "https://example.org/a#", "https://example.org/a"},
		{"utm", "https://example.org/a?utm_source=x&id=3&utm_medium=y", "https://example.org/a?id=3"},
		{"only tracking", "https://example.org/a?fbclid=1&gclid=2", "https://example.org/a"},
		{"case", "HTTPS://Example.ORG/Path", "https://example.org/Path"},
		{"default port", "http://example.org:80/x", "http://example.org/x"},
		{"keeps other port", "http://example.org:8080/x", "http://example.org:8080/x"},
		{"empty path", "https://example.org", "https://example.org/"},
		{"order kept", "https://e.org/?b=2&a=1", "https://e.org/?b=2&a=1"},
		{"encoded key", "https://e.org/?utm%5Fsource=1&q=go", "https://e.org/?q=go"},
		{"relative unchanged", " /a/b#x ", "/a/b#x"},
		{"urn unchanged", "urn:uuid:1234", "urn:uuid:1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanonicalURL(tt.in); got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
