package sources

import (
	"net/url"
	"regexp"
	"strings"
)

// SecretParams are the query parameter names whose values Redactor hides
// by default, compared case-insensitively. They cover the usual ways paid
// and private feeds carry credentials in their URLs.
var SecretParams = []string{
	"token", "key", "api_key", "apikey", "access_token", "auth",
	"password", "secret", "sig", "signature",
}

// Redacted replaces a secret in everything Herald prints.
const Redacted = "***"

// Redactor hides the secrets a URL can carry (its user-info and the values
// of secret query parameters) wherever Herald prints one: errors, log
// lines, /healthz, metrics, status pages and CLI messages. It is the one
// place that decides what a secret is; everything that shows text which
// may hold a URL passes it through URL or Text. A nil *Redactor uses the
// default parameter list. Its methods are safe for concurrent use.
type Redactor struct {
	params map[string]bool
	// query matches name=value pairs of secret parameters in free text,
	// whether or not the URL around them still parses.
	query *regexp.Regexp
}

// userinfo matches the user-info of anything that looks like a URL in free
// text: "scheme://user:password@" (or only "user@"). The user-info may not
// hold "/" (which would end the authority), so a later "@" in a path is
// left alone.
var userinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.\-]*://)[^/?#\s"'<>@]+@`)

// defaultRedactor serves nil receivers.
var defaultRedactor = NewRedactor()

// NewRedactor returns a Redactor hiding SecretParams and the extra
// parameter names given (from the config's redact_params).
func NewRedactor(extra ...string) *Redactor {
	r := &Redactor{params: map[string]bool{}}
	names := make([]string, 0, len(SecretParams)+len(extra))
	for _, n := range append(append([]string(nil), SecretParams...), extra...) {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" || r.params[n] {
			continue
		}
		r.params[n] = true
		names = append(names, regexp.QuoteMeta(n))
	}
	// A parameter starts after "?", "&" or ";" and its value runs to the
	// next separator, quote or white space. Percent-encoded names
	// (t%6Fken) are not matched here; URL decodes them first.
	r.query = regexp.MustCompile(`(?i)([?&;](?:` + strings.Join(names, "|") + `)=)[^&;#\s"'<>]*`)
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

// URL returns raw with its user-info and secret query values replaced by
// "***". A URL that does not parse is redacted as text.
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
			k, _, hasValue := strings.Cut(kv, "=")
			name, err := url.QueryUnescape(k)
			if err != nil {
				name = k
			}
			if hasValue && r.params[strings.ToLower(name)] {
				q[i] = k + "=" + Redacted
				changed = true
			}
		}
		u.RawQuery = strings.Join(q, "&")
	}
	out := raw
	if changed {
		// url.URL.String escapes "*" in user-info; spell the marker plainly.
		out = strings.Replace(u.String(), "%2A%2A%2A@", Redacted+"@", 1)
	}
	// The text rules catch what the parse above reads differently from
	// a server, such as "??token=" or ";"-separated parameters.
	return r.Text(out)
}

// Text returns s with every URL-like secret in it redacted: user-info after
// "scheme://" and the values of secret query parameters. It is for free
// text that may quote URLs, such as error messages.
func (r *Redactor) Text(s string) string {
	r = r.orDefault()
	if !strings.Contains(s, "@") && !strings.Contains(s, "=") {
		return s
	}
	s = userinfo.ReplaceAllString(s, "${1}"+Redacted+"@")
	return r.query.ReplaceAllStringFunc(s, func(m string) string {
		name, value, _ := strings.Cut(m, "=")
		// Punctuation that ends a sentence around a quoted URL ("…?token=x: refused")
		// is not part of the value.
		kept := strings.TrimRight(value, ":,.)")
		return name + "=" + Redacted + value[len(kept):]
	})
}
