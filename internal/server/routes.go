package server

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Header values shared by every response; never modified (len == cap, so
// even an Add elsewhere reallocates instead of writing into them).
var (
	hdrAllow   = []string{"GET, HEAD"}
	hdrText    = []string{"text/plain; charset=utf-8"}
	hdrNosniff = []string{"nosniff"}
	hdrVary    = []string{"Accept-Encoding"}
	hdrGzip    = []string{"gzip"}
	hdrNoStore = []string{"no-store"}
	// hdrRetryAfter tells clients polling before the first Publish (the
	// first collection is still running after a start) when to come back.
	hdrRetryAfter = []string{"10"}
	hdrBearer     = []string{`Bearer realm="herald"`}
	// hdrFaviconCache lets a browser keep the empty /favicon.ico answer.
	hdrFaviconCache = []string{"public, max-age=86400"}
)

// textReply is a precomputed small plain-text response for an error status.
type textReply struct {
	body   []byte
	length []string
}

var textReplies = map[int]textReply{}

// The 503s say why, in words for whoever polls (no source's error: that
// is the operator's, on /healthz and /status).
var (
	replyStarting = newTextReply(http.StatusServiceUnavailable,
		"nothing is published yet: Herald started and its first collection is still running; try again shortly")
	replyPending = newTextReply(http.StatusServiceUnavailable,
		"this feed has no articles yet: none of its sources has been collected successfully (a folder that does not exist yet, an upstream that fails); the operator's /healthz says why")
)

func newTextReply(code int, reason string) textReply {
	body := strconv.Itoa(code) + " " + strings.ToLower(http.StatusText(code))
	if reason != "" {
		body += ": " + reason
	}
	b := []byte(body + "\n")
	return textReply{body: b, length: []string{strconv.Itoa(len(b))}}
}

func init() {
	for _, code := range []int{
		http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusMisdirectedRequest,
		http.StatusServiceUnavailable, http.StatusInternalServerError,
	} {
		textReplies[code] = newTextReply(code, "")
	}
}

// route is a path of the listeners that is not a page.
type route struct {
	// serve answers the operator: on the admin listener, or on the
	// public one with Options.AdminToken.
	serve func(s *Server, w http.ResponseWriter, r *http.Request)
	// public answers anyone else on the public listener; nil refuses
	// them as if the path were not there (refuseOperator).
	public func(s *Server, w http.ResponseWriter, r *http.Request)
}

// routes is the one routing table of both request paths, by path without
// its "/": net/http's handlers route these, and no page may be published
// at one (validPath), so the fast path, which answers published pages
// only, hands them over. Every other path is a page.
var routes = map[string]route{
	"healthz": {serve: (*Server).serveHealth, public: (*Server).servePublicHealth},
	"metrics": {serve: (*Server).serveMetrics},
	"status":  {serve: (*Server).serveStatus},
}

// ServeHTTP routes a request on the public listener: a path of routes,
// or a published page ("/" is "index.html"). Pages, health and metrics
// answer GET and HEAD only.
//
// The public listener is for anyone who can poll a feed, so /healthz
// answers only whether Herald is up, and /metrics is not there. The
// operator's endpoints (AdminHandler) are served on the admin listener, and
// here only to requests carrying Options.AdminToken.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// On every response, as the fast path's heads have it (security.go).
	w.Header()["X-Content-Type-Options"] = hdrNosniff
	if rt, ok := routes[strings.TrimPrefix(r.URL.Path, "/")]; ok && strings.HasPrefix(r.URL.Path, "/") {
		switch {
		case s.operator(r):
			if s.allowMethod(w, r) {
				rt.serve(s, w, r)
			}
		case rt.public != nil:
			if s.allowMethod(w, r) {
				rt.public(s, w, r)
			}
		default:
			s.refuseOperator(w, r)
		}
		return
	}
	snap := s.snap.Load()
	if snap == nil {
		if s.allowMethod(w, r) {
			// Nothing published yet: the first collection is still running.
			w.Header()["Retry-After"] = hdrRetryAfter
			s.reply(w, r, http.StatusServiceUnavailable, replyStarting)
		}
		return
	}
	e := snap.lookup(r.URL)
	if gen := s.behind(snap, e, r.Header["If-None-Match"]); gen > 0 {
		s.catchUpTo(r.Context(), gen)
		snap = s.snap.Load()
		e = snap.lookup(r.URL)
	}
	if e == nil && s.lookup != nil && !snap.pending[pageKey(r.URL.Path)] {
		e = s.lookupPage(r, snap)
	}
	if e == nil {
		switch key := pageKey(r.URL.Path); {
		case !snap.pending[key] && key != "favicon.ico":
			s.text(w, r, http.StatusNotFound)
		case !s.allowMethod(w, r):
		case snap.pending[key]:
			w.Header()["Retry-After"] = hdrRetryAfter
			s.reply(w, r, http.StatusServiceUnavailable, replyPending)
		default:
			// Browsers ask for /favicon.ico on every visit to the index:
			// an empty answer they may keep for a day, not a 404 in
			// every log. A published favicon.ico is served as a page.
			w.Header()["Cache-Control"] = hdrFaviconCache
			w.WriteHeader(http.StatusNoContent)
			s.metrics.inc(http.StatusNoContent)
		}
		return
	}
	if s.allowMethod(w, r) {
		if v := snap.feedView(pageKey(r.URL.Path), e, r); v != nil {
			e = v
		}
		s.servePage(w, r, e)
	}
}

// lookup finds the page for a request URL. Only clean paths match, up to
// repeated slashes: "/../x" is simply not a key, and a path whose raw form
// encodes a slash is refused so "/articles%2Fx.html" can never reach
// "articles/x.html".
func (sn *snapshot) lookup(u *url.URL) *entry {
	p := u.Path
	if p == "" || p[0] != '/' {
		return nil
	}
	if u.RawPath != "" && strings.Contains(strings.ToLower(u.RawPath), "%2f") {
		return nil
	}
	return sn.pages[pageKey(p)]
}

// pageKey is the page a request path asks for, with or without its leading
// "/": runs of slashes count as one, as nginx and Apache merge them by
// default (a feed reader given "https://example.org//world.rss" finds the
// feed), and "/" is "index.html".
func pageKey(p string) string {
	p = strings.TrimLeft(p, "/")
	if strings.Contains(p, "//") {
		var b strings.Builder
		b.Grow(len(p))
		for i := 0; i < len(p); i++ {
			if p[i] != '/' || i == 0 || p[i-1] != '/' {
				b.WriteByte(p[i])
			}
		}
		p = b.String()
	}
	if p == "" {
		return "index.html"
	}
	return p
}

// allowMethod answers 405 and reports false unless r is a GET or HEAD.
func (s *Server) allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header()["Allow"] = hdrAllow
	s.text(w, r, http.StatusMethodNotAllowed)
	return false
}

// servePage writes e, or 304 when the client's validators match. This is
// the hot path: header values are prebuilt slices, the body is written once
// with its length known, and nothing is allocated, hashed or formatted.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, e *entry) {
	h := w.Header()
	if d := s.date.Load(); d != nil {
		h["Date"] = *d
	}
	gz := e.gz != nil && acceptsGzip(r.Header["Accept-Encoding"])
	if gz {
		h["Etag"] = e.etagGz
	} else {
		h["Etag"] = e.etag
	}
	h["Last-Modified"] = e.lastMod
	h["Cache-Control"] = e.cache
	h["Vary"] = e.vary

	if e.notModified(r.Header["If-None-Match"], r.Header["If-Modified-Since"]) {
		w.WriteHeader(http.StatusNotModified)
		s.metrics.inc(http.StatusNotModified)
		return
	}
	h["Content-Type"] = e.ctype
	h["Content-Security-Policy"] = e.csp
	h["Referrer-Policy"] = hdrNoReferrer
	if e.browser != nil && prefersHTML(r.Header["Accept"]) {
		h["Content-Type"] = e.browser
	}
	body, length := e.body, e.length
	if gz {
		h["Content-Encoding"] = hdrGzip
		body, length = e.gz, e.lengthGz
	}
	h["Content-Length"] = length
	w.WriteHeader(http.StatusOK)
	s.metrics.inc(http.StatusOK)
	if r.Method != http.MethodHead {
		// An error here is a client that went away; with thousands of
		// pollers that is routine, not worth a log line.
		_, _ = w.Write(body)
	}
}

// notModified evaluates the preconditions of RFC 9110 §13.2.2 that apply to
// GET and HEAD, given the request's If-None-Match and If-Modified-Since
// field values: If-None-Match when present, otherwise If-Modified-Since.
// Both request paths (net/http and fast.go) decide through it.
func (e *entry) notModified(ifNoneMatch, ifModifiedSince []string) bool {
	if len(ifNoneMatch) > 0 {
		return matchETag(ifNoneMatch, e.etag[0], e.etagGz[0])
	}
	return notModifiedSince(ifModifiedSince, e.lastMod[0], e.modified)
}

// text writes the precomputed plain-text reply for code.
func (s *Server) text(w http.ResponseWriter, r *http.Request, code int) {
	s.reply(w, r, code, textReplies[code])
}

// reply is text with a body of its own.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, code int, t textReply) {
	h := w.Header()
	h["Content-Type"] = hdrText
	h["Content-Security-Policy"] = hdrTextPolicy
	h["Content-Length"] = t.length
	w.WriteHeader(code)
	s.metrics.inc(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(t.body)
	}
}

// AdminHandler returns the operator's endpoints, for the admin listener:
// the detailed /healthz (every source and its last error), /status (the
// same as a page) and /metrics.
func (s *Server) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Content-Type-Options"] = hdrNosniff
		if !s.adminHost(r.Host) {
			s.text(w, r, http.StatusMisdirectedRequest)
			return
		}
		rt, ok := routes[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok || !strings.HasPrefix(r.URL.Path, "/") {
			s.text(w, r, http.StatusNotFound)
		} else if s.allowMethod(w, r) {
			rt.serve(s, w, r)
		}
	})
}

// operator reports whether r carries the admin token, which opens the
// operator's endpoints on the public listener.
func (s *Server) operator(r *http.Request) bool {
	if s.adminToken == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.adminToken)) == 1
}

// refuseOperator answers a public request for an operator endpoint: 401
// when a token could open it, else 404, as for any path that is not there.
func (s *Server) refuseOperator(w http.ResponseWriter, r *http.Request) {
	if s.adminToken == "" {
		s.text(w, r, http.StatusNotFound)
		return
	}
	w.Header()["Www-Authenticate"] = hdrBearer
	s.text(w, r, http.StatusUnauthorized)
}
