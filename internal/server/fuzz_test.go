package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The request headers below are outside input; these fuzzers check the
// in-place parsers never panic and keep their basic promises.

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"", "gzip", "gzip;q=0", "*;q=0.5, gzip;q=0", "br, x-gzip;q=1.0", ";;,,=q", "gzip;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ae string) {
		got := acceptsGzip([]string{ae})
		// Only a gzip coding or "*" can ever enable gzip.
		if got && !strings.Contains(strings.ToLower(ae), "gzip") && !strings.Contains(ae, "*") {
			t.Errorf("acceptsGzip(%q) = true without gzip or *", ae)
		}
	})
}

func FuzzMatchETag(f *testing.F) {
	tag, gzTag := `"2cf24dba5fb0a30e26e83b2ac5b9e29e"`, `"2cf24dba5fb0a30e26e83b2ac5b9e29e-gz"`
	for _, s := range []string{"", "*", tag, "W/" + tag, `"a", ` + gzTag, `W/`, `"unterminated`, `,,,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, inm string) {
		got := matchETag([]string{inm}, tag, gzTag)
		if got && !strings.Contains(inm, "*") && !strings.Contains(inm, tag[:len(tag)-1]) {
			t.Errorf("matchETag(%q) = true without * or the tag", inm)
		}
		// Separators alone are an empty list: adding the tag must match.
		if !strings.ContainsAny(inm, `"*`) && strings.Trim(inm, " \t,") == "" && !matchETag([]string{inm + "," + tag}, tag, gzTag) {
			t.Errorf("matchETag(%q + tag) = false", inm)
		}
	})
}

func FuzzNotModifiedSince(f *testing.F) {
	lm := modified.Truncate(1e9)
	for _, s := range []string{lm.Format(http.TimeFormat), "yesterday", "", "Mon, 02 Jan 2006 15:04:05 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ims string) {
		got := notModifiedSince([]string{ims}, lm.Format(http.TimeFormat), lm)
		parsed, err := http.ParseTime(ims)
		want := err == nil && !lm.After(parsed)
		if got != want {
			t.Errorf("notModifiedSince(%q) = %v, want %v", ims, got, want)
		}
	})
}

// FuzzLookup checks that whatever request target arrives, a page is only
// served for the exact path it was published under.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"/", "/world.rss", "/../world.rss", "//world.rss", "/articles%2Fx.html", "/articles/x.html", "/%2e%2e/x"} {
		f.Add(s)
	}
	pages := map[string]*entry{}
	for _, p := range []string{"index.html", "world.rss", "articles/x.html"} {
		pages[p] = &entry{body: []byte(p)}
	}
	snap := &snapshot{pages: pages}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		e := snap.lookup(u)
		if e == nil {
			return
		}
		want := "/" + string(e.body)
		if string(e.body) == "index.html" && u.Path == "/" {
			want = "/"
		}
		if u.Path != want {
			t.Errorf("%q (path %q) served %q", target, u.Path, e.body)
		}
		if strings.Contains(strings.ToLower(u.EscapedPath()), "%2f") {
			t.Errorf("%q with an encoded slash served %q", target, e.body)
		}
	})
}
