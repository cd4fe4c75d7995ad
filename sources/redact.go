package sources

import (
	"cmp"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/heraldfeed/herald/feed"
)

// secretParams are the query parameter names whose values Redactor hides
// by default, compared case-insensitively. They cover the usual ways paid
// and private feeds carry credentials in their URLs. A name made of words
// joined by "_", "-", "." or camel case is secret too when one of its
// words is (feed_token, privateToken, x-api-key), see secretWords.
var secretParams = []string{
	"token", "key", "api_key", "apikey", "access_token", "auth",
	"password", "secret", "sig", "signature",
}

// secretWords are the words that make a compound parameter name secret.
var secretWords = map[string]bool{
	"token": true, "key": true, "apikey": true, "secret": true, "password": true,
	"passwd": true, "auth": true, "sig": true, "signature": true, "credential": true,
	"credentials": true,
}

// Redacted replaces a secret in everything Herald prints.
const Redacted = feed.Redacted

// Secrets is what a configuration makes secret, for NewRedactor.
type Secrets struct {
	// Params are query parameter names whose values are secret, besides
	// secretParams: the config's redact_params, and the parameters whose
	// values came from the environment.
	Params []string
	// Values are secret texts, such as what ${NAME} put in a URL. Values
	// of feed.MinSecretLength or more are found anywhere; shorter ones
	// only as a whole URL part (user-info, a query value, a path segment).
	Values []string
	// URLs are configured URLs: their user name, password and the values
	// of their secret parameters are secret values too.
	URLs []string
}

// Redactor is the one place that decides what a secret is, and hides it:
// in everything Herald prints (errors, log lines, /healthz, metrics, status
// pages and CLI messages, through URL and Text) and in everything it
// publishes (through PublicURL and PublicText, which feed.Normalize calls
// as its feed.Secrets, and Base, the URL relative links resolve against).
// A nil *Redactor uses the default parameter list and knows no values.
// Its methods are safe for concurrent use.
type Redactor struct {
	params map[string]bool
	// long are the values found as text, in every spelling a message or
	// a document may give them, longest first; short are found only as
	// whole URL parts.
	long  *strings.Replacer
	longs []string
	short map[string]bool
}

// userinfo matches the user-info of anything that looks like a URL in free
// text: "scheme://user:password@" (or only "user@"). The user-info may not
// hold "/" (which would end the authority), so a later "@" in a path is
// left alone.
var userinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.\-]*://)[^/?#\s"'<>@]+@`)

// queryParam matches a name=value pair of a query in free text, whether
// or not the URL around it still parses.
var queryParam = regexp.MustCompile(`([?&;])([^=&;#?\s"'<>]+)=([^&;#\s"'<>]*)`)

// defaultRedactor serves nil receivers.
var defaultRedactor = NewRedactor(Secrets{})

// NewRedactor returns a Redactor hiding secretParams and what s names.
func NewRedactor(s Secrets) *Redactor {
	r := &Redactor{params: map[string]bool{}, short: map[string]bool{}}
	for _, n := range append(slices.Clone(secretParams), s.Params...) {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			r.params[n] = true
		}
	}
	values := slices.Clone(s.Values)
	for _, raw := range s.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		if u.User != nil {
			pw, _ := u.User.Password()
			values = append(values, u.User.Username(), pw)
		}
		for k, vs := range u.Query() {
			if r.secretParam(k) {
				values = append(values, vs...)
			}
		}
	}
	seen := map[string]bool{}
	for _, v := range values {
		if v == "" {
			continue
		}
		if len(v) < feed.MinSecretLength {
			r.short[v] = true
			continue
		}
		// The spellings a value takes in a URL, a query, HTML or XML.
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), html.EscapeString(v)} {
			if !seen[form] {
				seen[form] = true
				r.longs = append(r.longs, form)
			}
		}
	}
	// Longest first, so a value that contains another is hidden whole.
	slices.SortFunc(r.longs, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(r.longs))
	for _, v := range r.longs {
		pairs = append(pairs, v, Redacted)
	}
	r.long = strings.NewReplacer(pairs...)
	return r
}

// RedactURL is URL of the default Redactor, for code that quotes a URL
// without a configured one at hand.
func RedactURL(raw string) string { return defaultRedactor.URL(raw) }

func (r *Redactor) orDefault() *Redactor {
	if r == nil {
		return defaultRedactor
	}
	return r
}

// secretParam reports whether a query parameter of that name (decoded)
// carries a secret.
func (r *Redactor) secretParam(name string) bool {
	if r.params[strings.ToLower(name)] {
		return true
	}
	return slices.ContainsFunc(paramWords(name), func(w string) bool { return secretWords[w] })
}

// paramWords splits a parameter name into its words: at every character
// that is not a letter or digit, and where camel case starts a word.
func paramWords(name string) []string {
	var words []string
	start := 0
	rs := []rune(name)
	for i, c := range rs {
		switch {
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			if i > start {
				words = append(words, string(rs[start:i]))
			}
			start = i + 1
		case i > start && unicode.IsUpper(c) && unicode.IsLower(rs[i-1]):
			words = append(words, string(rs[start:i]))
			start = i
		}
	}
	if start < len(rs) {
		words = append(words, string(rs[start:]))
	}
	for i, w := range words {
		words[i] = strings.ToLower(w)
	}
	return words
}

// secretValue reports whether a URL part (decoded) is or holds a secret
// value.
func (r *Redactor) secretValue(v string) bool {
	return r.short[v] || r.holdsLong(v)
}

func (r *Redactor) holdsLong(s string) bool {
	for _, v := range r.longs {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// URL returns raw, for a message, with its user-info, the values of its
// secret query parameters and every secret value replaced by "***". A URL
// that does not parse is redacted as text.
func (r *Redactor) URL(raw string) string {
	r = r.orDefault()
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return r.Text(raw)
	}
	changed := false
	if u.User != nil {
		u.User = url.User(Redacted)
		changed = true
	}
	if u.RawQuery != "" {
		q := strings.Split(u.RawQuery, "&")
		for i, kv := range q {
			k, v, hasValue := strings.Cut(kv, "=")
			if hasValue && (r.secretParam(unescape(k)) || r.secretValue(unescape(v))) {
				q[i] = k + "=" + Redacted
				changed = true
			}
		}
		u.RawQuery = strings.Join(q, "&")
	}
	if segs := strings.Split(u.EscapedPath(), "/"); slices.ContainsFunc(segs, func(s string) bool { return r.short[unescape(s)] }) {
		for i, s := range segs {
			if r.short[unescape(s)] {
				segs[i] = Redacted
			}
		}
		if p, err := url.PathUnescape(strings.Join(segs, "/")); err == nil {
			u.Path, u.RawPath = p, ""
			changed = true
		}
	}
	out := raw
	if changed {
		// url.URL.String escapes "*" in user-info and paths; spell the
		// marker plainly.
		out = strings.ReplaceAll(u.String(), "%2A%2A%2A", Redacted)
	}
	// The text rules catch what the parse above reads differently from
	// a server, such as "??token=" or ";"-separated parameters.
	return r.Text(out)
}

// unescapePath decodes every %XX of s, as a browser reading a link does.
func unescapePath(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

func unescape(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// Text returns s, for a message, with every URL-like secret in it
// redacted (user-info after "scheme://", the values of secret query
// parameters) and every secret value of feed.MinSecretLength or more
// replaced by "***". It is for free text that may quote URLs, such as
// error messages. Shorter values are not looked for: they would be found
// inside ordinary words.
func (r *Redactor) Text(s string) string {
	r = r.orDefault()
	if len(r.longs) > 0 {
		s = r.long.Replace(s)
	}
	if !strings.Contains(s, "@") && !strings.Contains(s, "=") {
		return s
	}
	s = userinfo.ReplaceAllString(s, "${1}"+Redacted+"@")
	return queryParam.ReplaceAllStringFunc(s, func(m string) string {
		sub := queryParam.FindStringSubmatch(m)
		sep, name, value := sub[1], sub[2], sub[3]
		if !r.secretParam(unescape(name)) && !r.short[unescape(value)] {
			return m
		}
		// Punctuation that ends a sentence around a quoted URL ("…?token=x: refused")
		// is not part of the value.
		kept := strings.TrimRight(value, ":,.)")
		return sep + name + "=" + Redacted + value[len(kept):]
	})
}

// Base returns the URL relative links of a document fetched from raw are
// resolved against: raw without user-info and without query parameters
// that are secret by name or value, so no link made from it carries the
// credentials it was fetched with. A secret elsewhere in it (a token in
// the path) stays: links made from it are then refused by PublicURL.
func (r *Redactor) Base(raw string) string {
	r = r.orDefault()
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = r.dropParams(u.RawQuery, true)
	}
	return u.String()
}

// dropParams removes from a raw query the parameters whose values are
// secret, and with byName those whose names are, keeping the others as
// they are written.
func (r *Redactor) dropParams(q string, byName bool) string {
	parts := strings.Split(q, "&")
	kept := parts[:0]
	for _, kv := range parts {
		k, v, _ := strings.Cut(kv, "=")
		if r.secretValue(unescape(v)) || byName && r.secretParam(unescape(k)) {
			continue
		}
		kept = append(kept, kv)
	}
	return strings.Join(kept, "&")
}

// PublicURL implements feed.Secrets: raw without user-info and without
// the query parameters whose values are secret, or "" when a secret
// remains elsewhere in it. Parameters merely named like secrets stay: an
// upstream's own links are its business, only the operator's secrets are
// kept out.
func (r *Redactor) PublicURL(raw string) string {
	r = r.orDefault()
	if raw == "" {
		return ""
	}
	if len(r.longs) == 0 && len(r.short) == 0 && !strings.Contains(raw, "@") {
		// No secret values configured and no user-info: nothing to take
		// out. Normalize asks this of every link of every article.
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		if r.MayHold(raw) || r.holdsLong(unescapePath(raw)) {
			return ""
		}
		return raw
	}
	out := raw
	changed := u.User != nil
	u.User = nil
	if u.RawQuery != "" {
		q := r.dropParams(u.RawQuery, false)
		changed = changed || q != u.RawQuery
		u.RawQuery = q
	}
	if changed {
		out = u.String()
	}
	if r.holdsLong(out) || r.holdsLong(unescapePath(out)) || r.short[u.Fragment] ||
		slices.ContainsFunc(strings.Split(u.EscapedPath(), "/"), func(s string) bool { return r.short[unescape(s)] }) {
		return ""
	}
	return out
}

// PublicText implements feed.Secrets: s with every secret value of
// feed.MinSecretLength or more replaced by "***", and the user-info of
// URLs in it removed.
func (r *Redactor) PublicText(s string) string {
	r = r.orDefault()
	if len(r.longs) > 0 {
		s = r.long.Replace(s)
	}
	if strings.Contains(s, "@") {
		s = userinfo.ReplaceAllString(s, "${1}")
	}
	return s
}

// MayHold implements feed.Secrets: whether s may hold a user-info or a
// secret value.
func (r *Redactor) MayHold(s string) bool {
	r = r.orDefault()
	if strings.Contains(s, "@") && userinfo.MatchString(s) || r.holdsLong(s) {
		return true
	}
	for v := range r.short {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

var _ feed.Secrets = (*Redactor)(nil)
