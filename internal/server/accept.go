package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Browsers and feed readers ask for the same feed URL. Chromium shows a
// document served as application/rss+xml or application/atom+xml as plain
// source text, ignoring its <?xml-stylesheet?>, but styles the same bytes
// served as application/xml. So a request whose Accept prefers HTML (a
// browser following a link) gets the feed's bytes as application/xml,
// and every other request (a reader, curl, a crawler) the feed's own
// media type. The bytes, ETag and Last-Modified are the same; Vary:
// Accept keeps caches from mixing the two.

// hdrXML is the Content-Type feeds are shown to browsers with.
var hdrXML = []string{"application/xml; charset=utf-8"}

// hdrVaryAccept is the Vary of responses that depend on Accept (and, for
// a feed with a page of its own, on Sec-Fetch-Dest: see feedView).
var hdrVaryAccept = []string{"Accept, Accept-Encoding, Sec-Fetch-Dest"}

// A person who opens a feed's address in a browser is best served by the
// feed's own page (NAME.html: what a feed is, the addresses to copy, the
// newest articles with their links, readable dates and summaries), shown
// at the feed's address, which stays in the address bar for them to copy.
// That is given only to a browser navigating to the address
// (Sec-Fetch-Dest: document, which browsers send and feed readers do not)
// that prefers HTML: a reader that sends a browser-like Accept still gets
// the feed. Archive documents have no page: they are shown through their
// stylesheet.

// feedView returns the page a browser navigating to the feed at key is
// shown instead of the feed, or nil.
func (sn *snapshot) feedView(key string, e *entry, r *http.Request) *entry {
	if e.browser == nil || strings.Contains(key, "/") || !navigates(r) {
		return nil
	}
	dot := strings.LastIndexByte(key, '.')
	if dot < 0 {
		return nil
	}
	page := sn.pages[key[:dot]+".html"]
	if page == nil {
		return nil
	}
	v := *page
	v.vary = e.vary // the feed's address: its responses vary as the feed's do
	return &v
}

// navigates reports whether r is a browser's navigation to a document
// that prefers HTML.
func navigates(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Dest") == "document" && prefersHTML(r.Header["Accept"])
}

// browserType returns the Content-Type a browser is given for a page of
// media type ctype, or nil when it gets ctype like everyone else.
func browserType(ctype string) []string {
	mt, _, _ := strings.Cut(ctype, ";")
	switch strings.TrimSpace(mt) {
	case "application/rss+xml", "application/atom+xml":
		return hdrXML
	}
	return nil
}

// feedTypes are the media ranges a feed reader names for a feed.
var feedTypes = []string{"application/rss+xml", "application/atom+xml", "application/xml", "text/xml"}

// prefersHTML reports whether Accept field values name text/html with a
// quality above every feed type they name. Wildcards count for neither
// (a reader sending only */* gets the feed's type), and a tie goes to the
// feed: a reader that also accepts HTML is still a reader.
func prefersHTML(accept []string) bool {
	html, feed := 0.0, 0.0
	for _, v := range accept {
		for r := range strings.SplitSeq(v, ",") {
			mt, params, _ := strings.Cut(r, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			q := quality(params)
			switch {
			case mt == "text/html":
				html = max(html, q)
			case slices.Contains(feedTypes, mt):
				feed = max(feed, q)
			}
		}
	}
	return html > 0 && html > feed
}

// quality returns the q parameter of a media range's parameters, 1 when
// absent or malformed.
func quality(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q >= 0 && q <= 1 {
				return q
			}
		}
	}
	return 1
}
