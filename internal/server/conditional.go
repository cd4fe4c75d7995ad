package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// These parsers read request headers on the hot path, so they walk the
// strings in place instead of splitting them: no allocation for any input.

// acceptsGzip reports whether the Accept-Encoding field values allow a gzip
// response (RFC 9110 §12.5.3): "gzip" or "x-gzip" with a non-zero q-value,
// or, when gzip is not listed, "*" with a non-zero q-value. An absent
// header means identity only; we never force gzip on a client that did not
// ask, because some feed readers send no Accept-Encoding and cannot
// decompress.
func acceptsGzip(values []string) bool {
	gzip, star := -1, -1 // -1: not listed; 0: refused; 1: accepted
	for _, v := range values {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.TrimSpace(coding)
			ok := 1
			if qZero(params) {
				ok = 0
			}
			switch {
			case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
				// The most permissive listing wins if a client repeats it.
				gzip = max(gzip, ok)
			case coding == "*":
				star = max(star, ok)
			}
		}
	}
	if gzip >= 0 {
		return gzip == 1
	}
	return star == 1
}

// qZero reports whether the parameters of one Accept-Encoding item carry a
// q-value of zero. A malformed q-value counts as acceptable, the lenient
// reading: the worst case is a gzip body to a client that said gzip.
func qZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		return err == nil && q <= 0
	}
	return false
}

// matchETag reports whether an If-None-Match field value lists "*" or an
// entity tag that matches etag or etagGz under the weak comparison of
// RFC 9110 §13.1.2 (a W/ prefix is ignored; the opaque tags must be equal).
// etag and etagGz are quoted strong tags. Parsing stops at the first
// malformed element, so garbage never matches.
func matchETag(values []string, etag, etagGz string) bool {
	match := false
	eachTag(values, func(tag string) bool {
		match = tag == "*" || tag == etag || tag == etagGz
		return !match
	})
	return match
}

// newestGen is the newest publication an If-None-Match value names in
// tags of stamped pages (genETag), 0 when none.
func newestGen(values []string) int64 {
	var newest int64
	eachTag(values, func(tag string) bool {
		digits := strings.TrimPrefix(tag, `"`)
		if dot := strings.IndexByte(digits, '.'); dot > 0 {
			if g, err := strconv.ParseInt(digits[:dot], 10, 64); err == nil && g > newest {
				newest = g
			}
		}
		return true
	})
	return newest
}

// eachTag calls yield with each element of an If-None-Match field value:
// "*" or a quoted tag without its W/ prefix, until yield returns false or
// an element is malformed.
func eachTag(values []string, yield func(tag string) bool) {
	for _, v := range values {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				if !yield("*") {
					return
				}
				v = v[1:]
				continue
			}
			v = strings.TrimPrefix(v, "W/") // weak comparison
			if v == "" || v[0] != '"' {
				return
			}
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return
			}
			if !yield(v[:end+2]) {
				return
			}
			v = v[end+2:]
		}
	}
}

// notModifiedSince reports whether an If-Modified-Since value says the client
// already has the representation last modified at lastMod (formatted as
// lastModStr). Clients usually echo Last-Modified back verbatim, so that
// case is a string comparison; other values are parsed, and a malformed
// date is ignored as RFC 9110 §13.1.3 requires.
func notModifiedSince(values []string, lastModStr string, lastMod time.Time) bool {
	if len(values) == 0 {
		return false
	}
	v := values[0]
	if v == lastModStr {
		return true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return false
	}
	return !lastMod.After(t)
}
