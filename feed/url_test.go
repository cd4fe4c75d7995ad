package feed

import (
	"net/url"
	"testing"
)

func TestResolve(t *testing.T) {
	base, _ := url.Parse("https://example.org/blog/post.html?x=1")
	for _, tc := range []struct {
		base      *url.URL
		ref       string
		want      string // Resolve's, "<nil>" for nil
		wantHTTP  string // ResolveHTTP's
		wantShown string // resolveRef's (the sanitizer's policy)
	}{
		{base, "other.html", "https://example.org/blog/other.html", "https://example.org/blog/other.html", "https://example.org/blog/other.html"},
		{base, "/root", "https://example.org/root", "https://example.org/root", "https://example.org/root"},
		{base, "//cdn.example/a.png", "https://cdn.example/a.png", "https://cdn.example/a.png", "https://cdn.example/a.png"},
		{base, "#top", "https://example.org/blog/post.html?x=1#top", "https://example.org/blog/post.html?x=1#top", "https://example.org/blog/post.html?x=1#top"},
		{base, "?page=2", "https://example.org/blog/post.html?page=2", "https://example.org/blog/post.html?page=2", "https://example.org/blog/post.html?page=2"},
		{base, "HTTP://Other.example/A", "http://Other.example/A", "http://Other.example/A", "HTTP://Other.example/A"},
		{base, "javascript:alert(1)", "javascript:alert(1)", "<nil>", "javascript:alert(1)"},
		{base, "data:text/html,x", "data:text/html,x", "<nil>", "data:text/html,x"},
		{base, "mailto:a@example.org", "mailto:a@example.org", "<nil>", "mailto:a@example.org"},
		{base, "", "https://example.org/blog/post.html?x=1", "<nil>", "https://example.org/blog/post.html?x=1"},
		{base, "%zz", "<nil>", "<nil>", "%zz"},
		{base, "http://[::1", "<nil>", "<nil>", "http://[::1"},
		{nil, "https://example.org/a", "https://example.org/a", "https://example.org/a", ""},
		{nil, "relative", "relative", "<nil>", ""},
	} {
		str := func(u *url.URL) string {
			if u == nil {
				return "<nil>"
			}
			return u.String()
		}
		if got := str(Resolve(tc.base, tc.ref)); got != tc.want {
			t.Errorf("Resolve(%v, %q) = %s, want %s", tc.base, tc.ref, got, tc.want)
		}
		if got := str(ResolveHTTP(tc.base, tc.ref)); got != tc.wantHTTP {
			t.Errorf("ResolveHTTP(%v, %q) = %s, want %s", tc.base, tc.ref, got, tc.wantHTTP)
		}
		if tc.base != nil {
			if got := resolveRef(tc.base, tc.ref); got != tc.wantShown {
				t.Errorf("resolveRef(%v, %q) = %s, want %s", tc.base, tc.ref, got, tc.wantShown)
			}
		}
	}
}

// FuzzResolveHTTP: whatever a document links to, ResolveHTTP gives an
// http(s) URL with a host or nothing, and never fails.
func FuzzResolveHTTP(f *testing.F) {
	for _, s := range []string{"a/b", "/x?y#z", "//h/p", "javascript:x", "http://[::1]:8/", "%", " http://a/ "} {
		f.Add(s)
	}
	base, _ := url.Parse("https://example.org/dir/page")
	f.Fuzz(func(t *testing.T, ref string) {
		if u := ResolveHTTP(base, ref); u != nil && !isHTTP(u) {
			t.Errorf("ResolveHTTP(%q) = %s, not a web URL", ref, u)
		}
	})
}
