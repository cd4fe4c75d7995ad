package feed

import (
	"net/url"
	"strings"
)

// trackingParams are query parameters that identify a campaign, not a
// resource; links that differ only in them are the same article.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "yclid": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true,
}

// CanonicalURL returns raw in the form used to recognise the same article
// under different links: scheme and host lower-cased, default ports and
// an empty fragment dropped, and tracking parameters (utm_*, fbclid, gclid,
// …) removed, keeping the order of the remaining parameters. A fragment is
// kept: items that share a page and differ by their anchor ("day#post-2")
// are distinct items, and the anchor is where their link points. Strings
// that do not parse as absolute URLs are returned trimmed but otherwise
// unchanged.
func CanonicalURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(u.Host, ":80")) ||
		(u.Scheme == "https" && strings.HasSuffix(u.Host, ":443")) {
		u.Host = u.Host[:strings.LastIndexByte(u.Host, ':')]
	}
	if u.Fragment == "" {
		u.RawFragment = ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		u.RawQuery = stripTracking(u.RawQuery)
	}
	u.ForceQuery = false
	return u.String()
}

// stripTracking removes tracking parameters from a raw query without
// re-encoding (and so reordering or re-escaping) the others.
func stripTracking(q string) string {
	parts := strings.Split(q, "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" {
			continue
		}
		k := p
		if i := strings.IndexByte(p, '='); i >= 0 {
			k = p[:i]
		}
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		k = strings.ToLower(k)
		if strings.HasPrefix(k, "utm_") || trackingParams[k] {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}
