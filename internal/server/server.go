package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
)

// Options configures a Server.
type Options struct {
	Logger *slog.Logger // default: discard
	// Registry is served at /metrics; the server registers
	// herald_http_requests_total on it. Default: a new registry.
	Registry *prometheus.Registry
	// Status reports the sources for the operator's /healthz; it may be
	// nil. Its text is shown as it is: redact secrets before.
	Status func() []SourceStatus
	// Feeds reports the feeds for /healthz and /status; it may be nil.
	Feeds func() []FeedStatus
	// Replica reports this process's part in a replica set for /healthz
	// and /status; nil when it runs alone.
	Replica func() ReplicaStatus
	// AdminToken, when set, opens the operator's endpoints (see
	// AdminHandler) on the public listener to requests carrying
	// "Authorization: Bearer <AdminToken>".
	AdminToken string
	// Now is the clock (Last-Modified of pages not stamped by a leader);
	// a seam for tests and for HERALD_TEST_CLOCK_SKEW. Default: time.Now.
	Now func() time.Time
	// NoFastPath serves every request with net/http alone, without the
	// fast path of fast.go: the switch to flip if the fast path is ever
	// suspected of answering differently. Default false (fast path on).
	NoFastPath bool
	// Version is reported by /healthz; "" leaves it out.
	Version string
	// Lookup, if set, is asked for a path no published page has: pages
	// the publisher keeps out of snapshots so memory does not grow with
	// them (article pages, archive documents). Its answers are cached, a
	// few at a time, until the next Publish.
	Lookup func(ctx context.Context, path string) (feed.File, bool, error)
	// CatchUp, if set, is called (for a Stamped snapshot) with a request
	// whose If-None-Match names a page of publication gen, newer than the
	// one served: the reader was served by a replica that switched first.
	// It should return once this replica serves gen or knows there is no
	// such publication, or ctx is done; then the request is answered from
	// what is served. So a conditional reader never gets an older version
	// after a newer one, whatever the replicas' clocks.
	CatchUp func(ctx context.Context, gen int64)
	// PagePolicy is the Content-Security-Policy of published text/html
	// pages, without frame-ancestors, which the server adds (security.go).
	// Default: defaultPagePolicy. herald passes internal/site's, which
	// allows its pages' inline style.
	PagePolicy string
	// AdminHosts are the host names the operator listener answers to
	// besides localhost and IP addresses (admin.go); the config's
	// admin_hosts and admin_listen's host.
	AdminHosts []string
}

// Timeouts of the http.Server. Feeds are small and readers poll, so a client
// gets a short time to send its request; writing allows for slow links.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownGrace     = 5 * time.Second
)

// Server serves the latest published Snapshot. The zero value is not usable;
// call New.
type Server struct {
	log     *slog.Logger
	now     func() time.Time
	status  func() []SourceStatus
	feeds   func() []FeedStatus
	replica func() ReplicaStatus
	metrics *metrics
	promh   http.Handler

	adminToken string
	version    string

	// handler is what Serve serves; a seam so tests can wrap it.
	handler http.Handler

	publishMu sync.Mutex // serializes Publish, which reads the previous snapshot
	snap      atomic.Pointer[snapshot]
	// noFastPath is Options.NoFastPath.
	noFastPath bool

	lookup     func(ctx context.Context, path string) (feed.File, bool, error)
	catchUpTo  func(ctx context.Context, gen int64)
	looked     lookupCache
	adminHosts []string
	// pagePolicy is Options.PagePolicy with frame-ancestors.
	pagePolicy []string

	// date is the Date header value, refreshed every second while Serve
	// runs. net/http would otherwise read the clock and format the date
	// for every response, a measurable share of a 304's cost; nil (as
	// under httptest) leaves the header to net/http.
	date     atomic.Pointer[[]string]
	dateLine atomic.Pointer[[]byte]

	// timeouts apply to both the fast path and the http.Server; a field
	// rather than constants so tests can shorten them.
	timeouts struct{ readHeader, read, write, idle time.Duration }
	// maxConns caps the public listener's open connections (limit.go);
	// set by New from RLIMIT_NOFILE, a field so tests can lower it.
	maxConns int
}

// New returns a Server with nothing published: until the first Publish,
// page requests answer 503.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, fmt.Errorf("registering metrics: %w", err)
	}
	s := &Server{
		log:        opts.Logger,
		now:        opts.Now,
		status:     opts.Status,
		feeds:      opts.Feeds,
		replica:    opts.Replica,
		metrics:    m,
		noFastPath: opts.NoFastPath,
		lookup:     opts.Lookup,
		catchUpTo:  opts.CatchUp,
		adminToken: opts.AdminToken,
		version:    opts.Version,
		adminHosts: opts.AdminHosts,
		pagePolicy: framed(cmp.Or(opts.PagePolicy, defaultPagePolicy)),
		promh: promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{
			ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
		}),
	}
	s.handler = s
	s.timeouts.readHeader, s.timeouts.read = readHeaderTimeout, readTimeout
	s.timeouts.write, s.timeouts.idle = writeTimeout, idleTimeout
	s.maxConns = defaultConnCap()
	return s, nil
}

// Publish precomputes every page of snap (bodies, gzip, ETags, headers) and
// then makes it the served snapshot in one atomic swap, so each request sees
// either the old or the new snapshot entirely. It is safe to call
// concurrently with requests and with itself.
//
// Last-Modified only moves when a page's bytes change: a byte-identical
// body keeps its previous Last-Modified and ETag. A changed body gets
// File.Modified if that is later than the previous Last-Modified, otherwise
// the current time. Pages with an invalid or duplicate Path are skipped and
// logged.
func (s *Server) Publish(snap Snapshot) {
	s.publishMu.Lock()
	defer s.publishMu.Unlock()
	s.activate(s.prepare(snap))
}

// prepared is a snapshot built (compressed, headers rendered) and not
// yet served.
type prepared struct {
	base *snapshot // the snapshot it was built against
	next *snapshot
}

// behind returns the publication a conditional request for e names when
// it is newer than snap's (the reader got that version from a replica
// that switched first), or 0. Both request paths ask it: net/http's waits
// for Options.CatchUp to bring this replica up to it, and the fast path
// hands such a request over. Without the option it is always 0.
func (s *Server) behind(snap *snapshot, e *entry, ifNoneMatch []string) int64 {
	if s.catchUpTo == nil || !snap.stamped || e == nil || len(ifNoneMatch) == 0 {
		return 0
	}
	gen := newestGen(ifNoneMatch)
	if gen <= snap.gen || matchETag(ifNoneMatch, e.etag[0], e.etagGz[0]) {
		return 0 // an older version (the request gets this one), or this one
	}
	return gen
}

// prepare builds snap against the snapshot served now, without serving
// it; s.publishMu is held.
func (s *Server) prepare(snap Snapshot) *prepared {

	base := s.snap.Load()
	var prev map[string]*entry
	if base != nil {
		prev = base.pages
	}
	now := s.now()
	cache := cacheControl(snap.MaxAge)
	next := &snapshot{pages: make(map[string]*entry, len(snap.Pages))}
	var todo []int // indexes of the pages to build
	for i, p := range snap.Pages {
		if err := validPath(p.Path); err != nil {
			s.log.Error("skipping page", "error", err)
			continue
		}
		if _, dup := next.pages[p.Path]; dup {
			s.log.Error("skipping page", "error", fmt.Errorf("duplicate path %q", p.Path))
			continue
		}
		next.pages[p.Path] = nil
		todo = append(todo, i)
	}
	// Compressing is most of the work, and pages are independent: on
	// all CPUs, the first Publish after a start (every page new) comes
	// that much sooner.
	built := make([]*entry, len(snap.Pages))
	errs := make([]error, len(snap.Pages))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, i := range todo {
		g.Go(func() error {
			p := snap.Pages[i]
			built[i], errs[i] = build(p, prev[p.Path], cache, s.pagePolicy, now, snap.Stamped)
			return nil
		})
	}
	g.Wait()
	for _, i := range todo {
		p := snap.Pages[i]
		if errs[i] != nil {
			s.log.Error("skipping page", "error", errs[i])
			delete(next.pages, p.Path)
			continue
		}
		next.pages[p.Path] = built[i]
	}
	for _, p := range snap.Pending {
		if next.pages[p] == nil {
			if next.pending == nil {
				next.pending = map[string]bool{}
			}
			next.pending[p] = true
		}
	}
	next.cache, next.stamped, next.gen = cache, snap.Stamped, snap.Gen
	return &prepared{base: base, next: next}
}

// activate serves p in one atomic swap, so each request sees either the
// old or the new snapshot entirely; s.publishMu is held.
func (s *Server) activate(p *prepared) {
	s.snap.Store(p.next)
	s.looked.clear()
	if p.base != nil {
		closeUnused(p.base.pages, p.next.pages)
	}
}

// closeUnused closes the body files of the entries in old that no entry of
// next shares. A response still sending from one keeps it open until done
// (sendBody); one about to start falls back to writing from memory.
func closeUnused(old, next map[string]*entry) {
	kept := map[*os.File]bool{}
	for _, e := range next {
		kept[e.files[0]], kept[e.files[1]] = true, true
	}
	for _, e := range old {
		for _, f := range e.files {
			if f != nil && !kept[f] {
				f.Close()
			}
		}
	}
}

// Handler returns the server's routes: pages, /healthz and /metrics.
func (s *Server) Handler() http.Handler { return s }

// Serve serves on ln until ctx is done, then shuts down: it stops accepting
// connections at once and gives in-flight requests a few seconds to finish.
// It returns nil after a clean shutdown and closes ln in every case.
//
// Connections start on the fast path (fast.go), which answers plain GET
// and HEAD requests for pages from precomputed bytes and hands anything
// else, with the connection, to an http.Server with the usual timeouts.
// With Options.NoFastPath the http.Server serves ln itself.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer(s.handler)
	stopDate := s.keepDate()
	defer stopDate()
	ln = newLimitListener(ln, s.maxConns, s.log)
	if s.noFastPath {
		return serveNetHTTP(ctx, ln, srv)
	}
	handoff := newHandoffListener(ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(handoff) }()

	var fast fastConns
	acceptErr := make(chan error, 1)
	go func() { acceptErr <- s.accept(ln, &fast, handoff) }()

	var serveErr error
	select {
	case err := <-acceptErr:
		// accept only returns early on a listener failure.
		serveErr = fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
		ln.Close()
		<-acceptErr
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	fast.close()
	fastDone := make(chan struct{})
	go func() { fast.wg.Wait(); close(fastDone) }()
	shutdownErr := srv.Shutdown(sctx)
	select {
	case <-fastDone:
	case <-sctx.Done():
		fast.closeAll()
		shutdownErr = cmp.Or(shutdownErr, sctx.Err())
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return finishServe(srv, serveErr, shutdownErr)
}

// httpServer returns an http.Server for h with the read-header, read,
// write and idle timeouts.
func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.timeouts.readHeader,
		ReadTimeout:       s.timeouts.read,
		WriteTimeout:      s.timeouts.write,
		IdleTimeout:       s.timeouts.idle,
		MaxHeaderBytes:    32 << 10,
		ConnState:         connState,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	}
}

// serveNetHTTP serves srv on ln until ctx is done, then shuts down as
// Serve does: Serve without the fast path, and ServeAdmin.
func serveNetHTTP(ctx context.Context, ln net.Listener, srv *http.Server) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case err := <-errc:
		// Serve only returns before Shutdown on a listener failure.
		ln.Close()
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		serveErr = fmt.Errorf("serving: %w", err)
	}
	return finishServe(srv, serveErr, shutdownErr)
}

// finishServe ends a shutdown: when it failed, the remaining connections
// are cut.
func finishServe(srv *http.Server, serveErr, shutdownErr error) error {
	if serveErr != nil {
		srv.Close()
		return serveErr
	}
	if shutdownErr != nil {
		// Grace ran out: cut the remaining connections.
		srv.Close()
		return fmt.Errorf("shutting down: %w", shutdownErr)
	}
	return nil
}

// ServeAdmin serves AdminHandler on ln, a listener of the operator's own,
// until ctx is done, then shuts down like Serve. It takes no fast path:
// its requests are few.
func (s *Server) ServeAdmin(ctx context.Context, ln net.Listener) error {
	// The operator's few clients get a few connections of their own,
	// so a flood of the public listener does not lock them out.
	ln = newLimitListener(ln, max(4, min(64, s.maxConns/8)), s.log)
	if err := serveNetHTTP(ctx, ln, s.httpServer(s.AdminHandler())); err != nil {
		return fmt.Errorf("admin listener: %w", err)
	}
	return nil
}

// accept takes connections from ln for the fast path until ln is closed
// (nil) or fails (the error). ln is a limitListener, which retries
// temporary errors such as running out of file descriptors.
func (s *Server) accept(ln net.Listener, fast *fastConns, handoff *handoffListener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) && fast.isClosing() {
				return nil
			}
			return err
		}
		if !fast.add(c) {
			c.Close()
			continue
		}
		go s.serveFast(c, fast, handoff)
	}
}

// keepDate sets the shared Date header value now and every second until
// the returned function is called.
func (s *Server) keepDate() (stop func()) {
	set := func() {
		d := time.Now().UTC().Format(http.TimeFormat)
		v := []string{d}
		s.date.Store(&v)
		line := []byte("Date: " + d + "\r\n\r\n") // ends the fast path's head
		s.dateLine.Store(&line)
	}
	set()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				set()
			case <-done:
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		s.date.Store(nil)
		s.dateLine.Store(nil)
	}
}
