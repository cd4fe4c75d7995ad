package feed

import (
	"net/url"
	"strings"
)

// ParseHTTPURL parses s, trimmed, if it is an absolute http or https URL
// with a host, and returns nil otherwise. It is Herald's one "absolute
// web URL" rule.
func ParseHTTPURL(s string) *url.URL {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || !isHTTP(u) {
		return nil
	}
	return u
}

func isHTTP(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Resolve is Herald's one URL resolver: ref resolved against base (RFC
// 3986 §5, by net/url), or ref alone when base is nil; nil when ref does
// not parse. Callers add their policy (ResolveHTTP keeps web links only,
// the sanitizer leaves absolute links as written). base must not carry
// credentials: a relative link inherits them (sources.Redactor.Base
// makes the bases of fetched documents).
func Resolve(base *url.URL, ref string) *url.URL {
	u, err := url.Parse(ref)
	if err != nil {
		return nil
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return u
}

// ResolveHTTP is Resolve keeping only a non-empty ref that resolves to an
// http(s) URL with a host, so no javascript: or data: link ever becomes
// an item's or a page's link.
func ResolveHTTP(base *url.URL, ref string) *url.URL {
	if ref == "" {
		return nil
	}
	if u := Resolve(base, ref); u != nil && isHTTP(u) {
		return u
	}
	return nil
}

// absURL is ResolveHTTP of ref, trimmed, as a string ("" for none).
func absURL(base *url.URL, ref string) string {
	if u := ResolveHTTP(base, strings.TrimSpace(ref)); u != nil {
		return u.String()
	}
	return ""
}
