package sources

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// Sentinel errors of the web sources. They are wrapped with context (the
// source, the URL); test them with errors.Is.
var (
	// ErrNotModified means a server answered 304 Not Modified to a request
	// Herald had no earlier copy for, so there is nothing to reuse.
	ErrNotModified = errors.New("not modified, and no earlier copy")
	// ErrBackoff means a source skipped a collection because its earlier
	// collections failed; it returns its last good articles with it.
	ErrBackoff = errors.New("backing off after failed collections")
	// ErrTooLarge means a response body, or its decompressed size, was
	// over FetchConfig.MaxBody.
	ErrTooLarge = errors.New("response body too large")
	// ErrNoItems means a page source's selectors found no usable item.
	ErrNoItems = errors.New("selectors matched nothing: layout changed?")
)

// errRedirect marks redirect failures, which retrying cannot fix.
var errRedirect = errors.New("too many redirects")

// StatusError is returned by Fetcher.Get for a response status other than
// 2xx and 304.
type StatusError struct {
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("unexpected status %d %s", e.Status, http.StatusText(e.Status))
}

// FetchConfig configures the HTTP layer shared by every web source. Zero
// fields take the documented defaults.
type FetchConfig struct {
	// UserAgent names Herald to servers; default
	// "Herald/0.1 (+https://github.com/heraldfeed/herald)".
	UserAgent string
	// Timeout bounds one request attempt including reading the body;
	// default 30s.
	Timeout time.Duration
	// ConnectTimeout bounds establishing a connection; default 10s.
	ConnectTimeout time.Duration
	// MaxBody caps a body in bytes, after decompression too; default 10 MiB.
	MaxBody int64
	// Retries is how many times a failed attempt (timeout, connection
	// error, 5xx, 429) is retried; default 2, so up to 3 attempts. A
	// negative value disables retries.
	Retries int
	// PerHost caps concurrent requests to one host; default 2.
	PerHost int
	// MaxBackoff caps how long a repeatedly failing source skips
	// collections; default 24h.
	MaxBackoff time.Duration
	// AllowHosts are the non-public hosts that URLs found in content
	// (item links followed for full text, redirects) may still reach:
	// names ("intranet.example", "*.corp.example") and IP addresses or
	// CIDR prefixes ("10.1.0.0/16"). URLs the operator configured are
	// always fetched as written; their content is not, on their own host
	// too, unless that host is an IP address (see guard).
	AllowHosts []string
	// Redact hides secrets in the URLs that errors and logs quote;
	// nil uses the default parameter list.
	Redact *Redactor
	// Gate, if set, is asked before every request (each attempt, each
	// redirect); an error stops it. A replica's leader passes its lease's
	// validity, so a process resumed after a pause fetches nothing before
	// it knows whether it still leads.
	Gate func() error
	// Resolver and Dial are seams for tests; defaults net.DefaultResolver
	// and a net.Dialer with ConnectTimeout.
	Resolver Resolver
	Dial     DialFunc
}

const (
	defaultUserAgent = "Herald/0.1 (+https://github.com/heraldfeed/herald)"
	maxRedirects     = 5
	// maxRetryAfter is the longest Retry-After a collection waits for; a
	// server asking for more gets no retry now, and the source's failure
	// backoff spaces out the next collections instead.
	maxRetryAfter = 2 * time.Minute
	acceptHeader  = "application/rss+xml, application/atom+xml, application/feed+json, " +
		"application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, " +
		"text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.5"
)

func (c FetchConfig) withDefaults() FetchConfig {
	if c.UserAgent == "" {
		c.UserAgent = defaultUserAgent
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 10 << 20
	}
	if c.Retries == 0 {
		c.Retries = 2
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.PerHost <= 0 {
		c.PerHost = 2
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 24 * time.Hour
	}
	return c
}

// Response is a fetched document.
type Response struct {
	// URL is the final URL, after redirects, without its user-info and
	// secret query parameters (Redactor.Base): relative links resolve
	// against it, and must not carry the credentials it was fetched with.
	URL string
	// Status is the HTTP status code.
	Status int
	// Header is the final response's header.
	Header http.Header
	// Body is the raw body, decompressed but not converted to UTF-8
	// (sources do that knowing whether it is XML, HTML or JSON).
	Body []byte
	// NotModified reports a 304 answer to a conditional request: the
	// caller's earlier copy is current and Body is empty.
	NotModified bool
}

// Validators returns the response's ETag and Last-Modified, for the
// caller to keep and pass to the next Get of the same URL. The caller
// keeps them only once the body was parsed successfully: validators of a
// body that then failed to parse would get a 304 for a copy never had.
func (r *Response) Validators() Validators {
	return Validators{ETag: r.Header.Get("ETag"), LastModified: r.Header.Get("Last-Modified")}
}

// Fetcher is the HTTP client every web source shares: it names Herald in
// its User-Agent, makes conditional requests with the validators its
// caller passes (it remembers nothing per URL), retries transient
// failures, caps body sizes and limits concurrent requests per host. It is
// safe for concurrent use.
type Fetcher struct {
	cfg   FetchConfig
	log   *slog.Logger
	allow hostAllowList

	// clients holds the clients of each origin (the host:port of a URL
	// the operator configured), each with its own transports and address
	// guard; see guard and originClients.
	clientsMu sync.Mutex
	clients   map[string]*originClients

	// Sleep waits d or until ctx is done; tests replace it to observe
	// retry delays without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// RetryDelay is the first retry's base delay, doubled per attempt
	// with jitter; default 1s.
	RetryDelay time.Duration

	mu    sync.Mutex
	hosts map[string]chan struct{}

	// parsing bounds the article pages being parsed for full text at
	// once, in bytes of page, across every source: MaxBody.
	parsing *ByteBudget
}

// NewFetcher returns a Fetcher. It fails only on an invalid AllowHosts
// entry.
func NewFetcher(cfg FetchConfig, log *slog.Logger) (*Fetcher, error) {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	allow, err := parseAllowHosts(cfg.AllowHosts)
	if err != nil {
		return nil, err
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	return &Fetcher{
		cfg:        cfg,
		log:        log,
		allow:      allow,
		clients:    make(map[string]*originClients),
		Sleep:      sleepCtx,
		RetryDelay: time.Second,
		hosts:      make(map[string]chan struct{}),
		parsing:    NewByteBudget(cfg.MaxBody),
	}, nil
}

// originClients are the clients of one configured URL's origin (its
// host:port). They share one guarded transport for content; only the
// first request of Get, the configured URL itself, goes through a
// transport of its own that dials as written. Separate transports mean
// separate connection pools: a connection dialed as written for the
// configured URL, to whatever its name resolved to, is never reused for a
// content link or a redirect to the same host:port.
type originClients struct {
	get  *http.Client // Get: the configured URL, then its redirects as content
	from *http.Client // GetFrom, PollFrom: content throughout
}

// client returns the clients of origin, the host:port of a configured URL
// ("" for content that no configured URL led to).
func (f *Fetcher) client(origin string) *originClients {
	origin = strings.ToLower(origin)
	f.clientsMu.Lock()
	defer f.clientsMu.Unlock()
	if c, ok := f.clients[origin]; ok {
		return c
	}
	g := newGuard(origin, f.allow, f.cfg.Resolver, f.cfg.Dial)
	content := f.transport(g.proxy, g.dialContext)
	operator := &operatorFirst{origin: origin, content: content,
		operator: f.transport(http.ProxyFromEnvironment, f.cfg.Dial)}
	c := &originClients{
		get:  &http.Client{Transport: operator, CheckRedirect: f.checkRedirect},
		from: &http.Client{Transport: content, CheckRedirect: f.checkRedirect},
	}
	f.clients[origin] = c
	return c
}

func (f *Fetcher) transport(proxy func(*http.Request) (*url.URL, error), dial DialFunc) *http.Transport {
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           dial,
		TLSHandshakeTimeout:   f.cfg.ConnectTimeout,
		ResponseHeaderTimeout: f.cfg.Timeout,
		// We ask for gzip ourselves and decompress through a size cap.
		DisableCompression:  true,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: f.cfg.PerHost,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
}

// operatorFirst sends the first request of a Get, to the configured
// host:port, through the operator's transport, and every redirect
// (http.Client sets Request.Response on those) through the guarded one:
// a redirect is content, even to the same host.
type operatorFirst struct {
	origin            string
	operator, content http.RoundTripper
}

func (t *operatorFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Response == nil && hostPort(req.URL.String()) == t.origin {
		return t.operator.RoundTrip(req)
	}
	return t.content.RoundTrip(req)
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: to unsupported scheme %q", errRedirect, req.URL.Scheme)
	}
	for _, prev := range via {
		if prev.URL.String() == req.URL.String() {
			return fmt.Errorf("%w: redirect loop at %s", errRedirect, f.cfg.Redact.URL(req.URL.String()))
		}
	}
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: stopped after %d", errRedirect, maxRedirects)
	}
	if f.cfg.Gate != nil {
		return f.cfg.Gate()
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get fetches rawURL, conditionally when v is not zero: a 304 then
// returns a Response with NotModified set and a nil error. Timeouts,
// connection errors, 5xx and 429 are retried with exponential backoff and
// jitter (429 and 503 honour Retry-After); other 4xx are not. A body over
// MaxBody fails with ErrTooLarge.
//
// rawURL is one the operator configured: it is fetched as written,
// whatever address its host has. Its redirects, even to the same host, are
// content, as every URL found in content is (see GetFrom).
func (f *Fetcher) Get(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	return f.get(ctx, rawURL, rawURL, v, true)
}

// GetFrom fetches rawURL, a URL found in the content of origin (the URL a
// source was configured with), unconditionally. Only public addresses are
// reached, on origin's host too, unless FetchConfig.AllowHosts allows the
// host or origin's host is an IP address (see guard): a link in a feed
// cannot make Herald fetch 169.254.169.254 or an intranet page.
func (f *Fetcher) GetFrom(ctx context.Context, rawURL, origin string) (*Response, error) {
	return f.get(ctx, rawURL, origin, Validators{}, false)
}

// URL returns u with its secrets redacted, for messages.
func (f *Fetcher) URL(u string) string { return f.cfg.Redact.URL(u) }

// get fetches rawURL with origin's clients: as the configured URL when
// configured is true, else as content.
func (f *Fetcher) get(ctx context.Context, rawURL, origin string, v Validators, configured bool) (*Response, error) {
	u := feed.ParseHTTPURL(rawURL)
	if u == nil {
		// The URL may not parse: redact it as text.
		return nil, errors.New(f.cfg.Redact.Text(fmt.Sprintf("url %q: want an absolute http or https URL", rawURL)))
	}
	clients := f.client(hostPort(origin))
	client := clients.from
	if configured {
		client = clients.get
	}
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := f.attempt(ctx, client, u, v)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if attempt >= f.cfg.Retries || !retryable(err) {
			return nil, err
		}
		delay := f.backoffDelay(attempt)
		if retryAfter > 0 {
			if retryAfter > maxRetryAfter {
				return nil, fmt.Errorf("%w (server asks to retry after %s)", err, retryAfter)
			}
			delay = retryAfter
		}
		f.log.Debug("retrying", "url", f.cfg.Redact.URL(rawURL), "attempt", attempt+1, "delay", delay.String(), "error", err)
		if serr := f.Sleep(ctx, delay); serr != nil {
			return nil, err
		}
	}
}

// backoffDelay is RetryDelay·2^attempt, jittered to between half and all
// of it so sources that failed together do not retry in lockstep.
func (f *Fetcher) backoffDelay(attempt int) time.Duration {
	d := f.RetryDelay << attempt
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(half+1)
}

func retryable(err error) bool {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return se.Status >= 500 || se.Status == http.StatusTooManyRequests
	case errors.Is(err, ErrTooLarge), errors.Is(err, errRedirect), errors.Is(err, ErrNotModified),
		errors.Is(err, ErrForbiddenAddress):
		return false
	}
	// Timeouts, refused or reset connections, truncated bodies.
	return true
}

func (f *Fetcher) acquire(ctx context.Context, host string) (release func(), err error) {
	f.mu.Lock()
	sem, ok := f.hosts[host]
	if !ok {
		sem = make(chan struct{}, f.cfg.PerHost)
		f.hosts[host] = sem
	}
	f.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// attempt makes one request. It returns the server's Retry-After, if any,
// alongside a retryable error.
func (f *Fetcher) attempt(ctx context.Context, client *http.Client, u *url.URL, v Validators) (*Response, time.Duration, error) {
	release, err := f.acquire(ctx, u.Host)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	// After the wait for a slot, which a pause may have lengthened.
	if f.cfg.Gate != nil {
		if err := f.cfg.Gate(); err != nil {
			return nil, 0, err
		}
	}

	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("Accept-Encoding", "gzip")
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}

	hr, err := client.Do(req)
	if err != nil {
		// The url.Error names the method and URL, once; net/http hides
		// the URL's password but not the rest of its secrets.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = f.cfg.Redact.URL(ue.URL)
		}
		return nil, 0, err
	}
	defer hr.Body.Close()
	// Drain a little of what we do not read so the connection can be
	// reused, but never much.
	defer io.CopyN(io.Discard, hr.Body, 4<<10) //nolint:errcheck // best effort

	resp := &Response{URL: f.cfg.Redact.Base(hr.Request.URL.String()), Status: hr.StatusCode, Header: hr.Header}
	switch {
	case hr.StatusCode == http.StatusNotModified:
		if v.IsZero() {
			return nil, 0, fmt.Errorf("%w: 304 to an unconditional request", ErrNotModified)
		}
		resp.NotModified = true
		return resp, 0, nil
	case hr.StatusCode < 200 || hr.StatusCode > 299:
		var wait time.Duration
		if hr.StatusCode == http.StatusTooManyRequests || hr.StatusCode == http.StatusServiceUnavailable {
			wait = parseRetryAfter(hr.Header.Get("Retry-After"), time.Now())
		}
		return nil, wait, &StatusError{Status: hr.StatusCode}
	}

	body, err := f.readBody(hr)
	if err != nil {
		return nil, 0, err
	}
	resp.Body = body
	return resp, 0, nil
}

// readBody reads the body through the MaxBody cap, decompressing gzip
// itself so the cap applies to the decompressed size: a small gzip bomb
// cannot expand into memory.
func (f *Fetcher) readBody(hr *http.Response) ([]byte, error) {
	limit := f.cfg.MaxBody
	if hr.ContentLength > limit {
		return nil, fmt.Errorf("%w: content-length %d over %d bytes", ErrTooLarge, hr.ContentLength, limit)
	}
	var r io.Reader = hr.Body
	if strings.EqualFold(strings.TrimSpace(hr.Header.Get("Content-Encoding")), "gzip") {
		gz, err := gzip.NewReader(io.LimitReader(hr.Body, limit+1))
		if err != nil {
			return nil, fmt.Errorf("reading gzip body: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if n > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return buf.Bytes(), nil
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. It returns 0 when absent or unreadable.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(h); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, 1<<30)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
