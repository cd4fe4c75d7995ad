package config

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/heraldfeed/herald/feed"
)

// plainKeys are the keys whose values are no secret even when they come
// from the environment: what Herald publishes by design (titles,
// descriptions, base_url, the WebSub hub), and settings it prints as they
// are (addresses, folders, schedules, selectors, limits). Indexes are left
// out of the paths ("sources.url"). Every other key's text from the
// environment is a secret: today source URLs, store and admin_token, and
// any key added later unless it is listed here.
var plainKeys = map[string]bool{
	"title": true, "base_url": true, "description": true, "language": true, "author": true,
	"schedule": true, "listen": true, "admin_listen": true, "data_dir": true,
	"redact_params": true, "fast_path": true, "websub.hub": true,
	"fetch.user_agent": true, "fetch.timeout": true, "fetch.connect_timeout": true,
	"fetch.max_body": true, "fetch.retries": true, "fetch.per_host": true, "fetch.allow_hosts": true,
	"sources.name": true, "sources.type": true, "sources.path": true, "sources.trailers": true, "sources.clean": true,
	"sources.follow_symlinks": true, "sources.schedule": true, "sources.timezone": true,
	"sources.item": true, "sources.title": true, "sources.link": true, "sources.date": true,
	"sources.date_format": true, "sources.summary": true, "sources.full_text": true,
	"sources.keep": true, "sources.keep_for": true,
	"feeds.name": true, "feeds.title": true, "feeds.description": true, "feeds.language": true,
	"feeds.sources": true, "feeds.limit": true, "feeds.include": true, "feeds.exclude": true,
	"feeds.max_age": true,
}

var indexes = regexp.MustCompile(`\[\d+\]`)

// secretKey reports whether text the environment gives the key at path
// is a secret.
func secretKey(path string) bool { return !plainKeys[indexes.ReplaceAllString(path, "")] }

// Secrets are what Herald must never show or publish, as the
// configuration tells them.
type Secrets struct {
	// Values are secret texts, whole: the text of each ${NAME} in a key
	// that holds secrets. One shorter than feed.MinSecretLength sits in
	// user-info or a query value (Validate refuses it anywhere else) and
	// is to be found only as that whole URL part, never as text.
	Values []string
	// Params are the query parameters whose values hold text from the
	// environment, named as written; with redact_params and the built-in
	// list they are the parameters whose values are secret.
	Params []string
	// URLs are the configured URLs that may carry secrets written in the
	// file itself (source URLs, store): their user-info and the values of
	// their secret parameters are secrets too.
	URLs []string
}

// Secrets returns what the configuration makes secret.
func (c *Config) Secrets() Secrets {
	var s Secrets
	for _, e := range c.expanded {
		if !secretKey(e.path) {
			continue
		}
		parts := urlParts(e.value)
		for _, v := range e.vars {
			text := e.value[v.start:v.end]
			if text == "" {
				continue
			}
			if !slices.Contains(s.Values, text) {
				s.Values = append(s.Values, text)
			}
			if p := parts.param(v.start, v.end); p != "" && !slices.Contains(s.Params, p) {
				s.Params = append(s.Params, p)
			}
		}
	}
	for _, src := range c.Sources {
		if src.URL != "" {
			s.URLs = append(s.URLs, src.URL)
		}
	}
	if c.Postgres() {
		s.URLs = append(s.URLs, c.Store)
	}
	return s
}

// checkSecrets refuses text from the environment that is too short to be
// hidden as text, where only text search could hide it.
func (v *validator) checkSecrets() {
	for _, e := range v.c.expanded {
		// admin_token has a longer minimum of its own.
		if !secretKey(e.path) || e.path == "admin_token" {
			continue
		}
		parts := urlParts(e.value)
		for _, sp := range e.vars {
			n := sp.end - sp.start
			if n == 0 || n >= feed.MinSecretLength || parts.structural(sp.start, sp.end) {
				continue
			}
			v.fail(e.path, "${%s} is %d characters: a secret from the environment must have at least %d "+
				"unless it is a URL's user-info or a query parameter's value, since Herald hides it "+
				"wherever it appears and a shorter one would match ordinary text", sp.name, n, feed.MinSecretLength)
		}
	}
}

// parts locates, in a URL's text, the user-info and each query
// parameter's value: the URL parts redacted whole, whatever their length.
type parts struct {
	userinfo [2]int // [start, end) of user-info; {0, 0} when absent
	values   []paramSpan
}

type paramSpan struct {
	name       string
	start, end int // the value's bytes
}

// urlParts reads s as a URL; a value that is not one has no parts.
func urlParts(s string) parts {
	var p parts
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return p
	}
	if i := strings.Index(s, "://"); i >= 0 {
		auth := s[i+3:]
		if end := strings.IndexAny(auth, "/?#"); end >= 0 {
			auth = auth[:end]
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			p.userinfo = [2]int{i + 3, i + 3 + at}
		}
	}
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return p
	}
	end := len(s)
	if h := strings.IndexByte(s[q:], '#'); h >= 0 {
		end = q + h
	}
	pos := q + 1
	for _, kv := range strings.Split(s[q+1:end], "&") {
		if k, _, ok := strings.Cut(kv, "="); ok {
			name, err := url.QueryUnescape(k)
			if err != nil {
				name = k
			}
			p.values = append(p.values, paramSpan{name: name, start: pos + len(k) + 1, end: pos + len(kv)})
		}
		pos += len(kv) + 1
	}
	return p
}

// param names the query parameter whose value holds s[start:end], if any.
func (p parts) param(start, end int) string {
	for _, v := range p.values {
		if start >= v.start && end <= v.end {
			return v.name
		}
	}
	return ""
}

// structural reports whether s[start:end] lies within one URL part that
// is redacted whole.
func (p parts) structural(start, end int) bool {
	if p.userinfo[1] > 0 && start >= p.userinfo[0] && end <= p.userinfo[1] {
		return true
	}
	return p.param(start, end) != ""
}
