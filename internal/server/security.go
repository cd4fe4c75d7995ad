package server

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Defence in depth for what a browser makes of Herald's responses. Every
// response carries X-Content-Type-Options: nosniff, so no browser reads a
// feed, a JSON document or a plain-text error as HTML or script. Every
// page carries a Content-Security-Policy that allows no script at all:
// Herald's own pages need none, and an article's content, sanitized when
// collected, then cannot run script in the site's origin even if the
// sanitizer ever let something through.
//
// frame-ancestors 'none' everywhere: Herald's pages have nothing a
// framing page could trick a reader into clicking that changes state, but
// no use for being framed either, and the status page shows operator
// data. Referrer-Policy: no-referrer on pages: article pages load images
// from the sites articles came from, and links lead there; neither needs
// to learn which Herald page (or which feed's reader) sent the visit.

// defaultPagePolicy is the Content-Security-Policy of published HTML pages
// when Options.PagePolicy is empty: remote images and media, as in
// article content, and nothing else, no style included.
const defaultPagePolicy = "default-src 'none'; img-src 'self' http: https:; media-src 'self' http: https:; base-uri 'none'; form-action 'none'"

// docPolicy is the policy of every other page: feeds shown in a browser
// take their style from feed.css on the same origin (accept.go), and
// nothing in a feed item's content may load or run.
const docPolicy = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var (
	hdrDocPolicy  = []string{docPolicy}
	hdrNoReferrer = []string{"no-referrer"}
	// hdrTextPolicy is the policy of the plain-text replies (404 and
	// others), which load nothing.
	hdrTextPolicy = []string{"default-src 'none'; frame-ancestors 'none'"}
)

// framed adds frame-ancestors, which only a header can carry (a
// <meta> policy ignores it), to a policy.
func framed(policy string) []string {
	return []string{strings.TrimRight(strings.TrimSpace(policy), ";") + "; frame-ancestors 'none'"}
}

// pagePolicy returns the Content-Security-Policy of a page of media type
// ctype: html for HTML, the document policy for anything else.
func pagePolicy(ctype string, html []string) []string {
	mt, _, _ := strings.Cut(ctype, ";")
	if strings.EqualFold(strings.TrimSpace(mt), "text/html") {
		return html
	}
	return hdrDocPolicy
}

// styleHash returns the CSP source ('sha256-…') that allows an inline
// <style> element whose text is css. (internal/site, which may not import
// this package, hashes its own style the same way.)
func styleHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}
