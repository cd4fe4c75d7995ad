package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/collect"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/replica"
	"github.com/heraldfeed/herald/internal/scheduler"
	"github.com/heraldfeed/herald/internal/server"
	"github.com/heraldfeed/herald/internal/site"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/websub"
)

// ServeOptions are herald serve's.
type ServeOptions struct {
	Config     string
	Addr       string // the listen address; "" for the config's listen
	NoFastPath bool   // serve every request with net/http alone
	NoStore    bool   // keep nothing in data_dir
	Logger     *slog.Logger
	Env        *Env // nil: a run of its own
	// Reload asks, with each value, for the configuration to be read
	// again (cmd/herald sends one per SIGHUP); nil: never.
	Reload <-chan struct{}
}

// Serve is herald serve: it collects on schedule and serves the feeds until ctx is cancelled.
// A value on Reload (SIGHUP) reloads the config: a valid one replaces the running collection
// (keeping the last good articles of sources it still has), an invalid one
// is reported and the old one keeps running. The listen address is read
// once, at start, and so is the fast path setting (NoFastPath or
// fast_path: false turn it off).
func Serve(ctx context.Context, o ServeOptions) (err error) {
	cfgPath, addr, log, env := o.Config, o.Addr, o.Logger, envOr(o.Env)
	defer func() {
		// SIGINT or SIGTERM while starting (opening the store, reading
		// it) is a stop like any other: exit status 0, as a service
		// manager stopping it expects, whatever the step it cut short
		// returned.
		if ctx.Err() != nil && err != nil {
			log.Info("stopped while starting")
			err = nil
		}
	}()
	cfg, err := env.loadConfig(cfgPath)
	if err != nil {
		return err
	}
	// One store for the process: a reload finds the records of the
	// sources whose configuration it did not change.
	st, err := openStore(ctx, cfg, o.NoStore)
	if err != nil {
		return err
	}
	defer st.Close()
	if addr == "" {
		addr = cfg.Listen
	} else if base, ok := differentAddr(addr, cfg.BaseURL); ok {
		log.Warn("--addr differs from base_url: the published links point to base_url", "addr", addr, "base_url", base)
	}
	reg, metrics, err := newMetrics()
	if err != nil {
		return err
	}
	clock, err := processClock()
	if err != nil {
		return err
	}
	sv := &serving{env: env, cfgPath: cfgPath, log: log, metrics: metrics, store: st, now: clock}
	fastPath := cfg.FastPath && !o.NoFastPath
	sv.srv, err = server.New(server.Options{
		Logger:   log,
		Registry: reg,
		Now:      clock,
		Status:   func() []server.SourceStatus { return statuses(sv.current.Load(), time.Now()) },
		Feeds: func() []server.FeedStatus {
			if p := sv.current.Load(); p != nil {
				return p.feeds.status()
			}
			return nil
		},
		Lookup:     sv.page,
		CatchUp:    sv.catchUp,
		Replica:    sv.replicaStatus(st),
		AdminToken: cfg.AdminToken,
		NoFastPath: !fastPath,
		Version:    BuildInfo().Version,
		PagePolicy: site.PagePolicy,
		AdminHosts: adminHosts(cfg),
	})
	if err != nil {
		return err
	}

	if hub := cfg.WebSub.Hub; hub != "" {
		n := websub.New(hub, websub.Options{Logger: log})
		sv.changes = &feedChanges{n: n}
		hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
		hubDone := make(chan struct{})
		go func() { defer close(hubDone); n.Run(hubCtx) }()
		defer func() { stopHub(); <-hubDone }()
		log.Info("notifying a WebSub hub of changes", "url", hub)
	}

	var m mode = &alone{sv: sv}
	if shared, ok := st.(store.Shared); ok {
		m = &replicated{sv: sv, shared: shared, registry: reg}
	}
	// Bound before anything is read or collected, so a port in use fails
	// at once, with no upstream asked; connections wait in the kernel's
	// queue until the mode has something to serve (what the store holds,
	// the current publication), and are answered from it.
	ln, adminLn, err := listen(addr, cfg.AdminListen)
	if err != nil {
		return err
	}
	if err := m.start(ctx, cfg); err != nil {
		ln.Close()
		if adminLn != nil {
			adminLn.Close()
		}
		return err
	}
	attrs := []any{"addr", ln.Addr().String(), "config", cfg.Path, "fast_path", fastPath}
	if _, ok := m.(*replicated); ok {
		attrs = append(attrs, "replica", replicaID())
	}
	log.Info("serving", attrs...)
	logFeeds(log, cfg)
	srvDone, stopServer, finish := sv.startServing(ctx, ln, adminLn)
	defer finish()
	return sv.loop(ctx, m, o.Reload, srvDone, stopServer)
}

// logFeeds says at start where each feed is, as readers subscribe to it.
func logFeeds(log *slog.Logger, cfg *config.Config) {
	for _, f := range cfg.Feeds {
		log.Info("feed", "feed", f.Name, "url", cfg.BaseURL+f.Name+".rss", "atom", cfg.BaseURL+f.Name+".atom", "json", cfg.BaseURL+f.Name+".json")
	}
}

// startServing serves the public listener ln and, if not nil, the
// operator one adminLn. stop stops both (the public one's Serve then
// returns on done); finish stops them and waits for the operator one.
func (sv *serving) startServing(ctx context.Context, ln, adminLn net.Listener) (done <-chan error, stop, finish func()) {
	srvCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	srvDone := make(chan error, 1)
	go func() { srvDone <- sv.srv.Serve(srvCtx, ln) }()
	finish = stopServer
	if adminLn != nil {
		sv.log.Info("serving operator endpoints", "addr", adminLn.Addr().String())
		adminDone := make(chan error, 1)
		go func() { adminDone <- sv.srv.ServeAdmin(srvCtx, adminLn) }()
		finish = func() {
			stopServer()
			if err := <-adminDone; err != nil {
				sv.log.Error("admin listener", "error", err)
			}
		}
	}
	return srvDone, stopServer, finish
}

// serving is what serve keeps while it runs, whatever its mode.
type serving struct {
	env     *Env
	cfgPath string
	log     *slog.Logger
	metrics *collect.Metrics
	store   store.Store
	srv     *server.Server
	now     func() time.Time         // processClock
	current atomic.Pointer[pipeline] // for /healthz, /status and pages read on demand
	changes *feedChanges             // nil without websub.hub
	rep     *replica.Replica         // nil alone: what pages wait on, and /healthz reports
}

// newMetrics returns the registry /metrics serves, with Go's, the
// process's and the collection metrics registered.
func newMetrics() (*prometheus.Registry, *collect.Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	b := BuildInfo()
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "herald_build_info",
		Help: "Always 1; the labels say which Herald is running.",
	}, []string{"version", "commit", "goversion"})
	info.WithLabelValues(b.Version, b.Commit, b.GoVersion).Set(1)
	reg.MustRegister(info)
	m, err := collect.NewMetrics(reg)
	return reg, m, err
}

// adminHosts are the host names the operator listener answers to:
// admin_hosts and admin_listen's own host (localhost and IP addresses
// always pass, see internal/server's admin.go).
func adminHosts(cfg *config.Config) []string {
	hosts := cfg.AdminHosts
	if h, _, err := net.SplitHostPort(cfg.AdminListen); err == nil && h != "" {
		hosts = append(slices.Clip(hosts), h)
	}
	return hosts
}

// listen opens the public listener and, when adminAddr is set, the
// operator one. An address it cannot listen on is a ListenError (exit
// status 4) saying how to choose another.
func listen(addr, adminAddr string) (ln, adminLn net.Listener, err error) {
	if ln, err = net.Listen("tcp", addr); err != nil {
		return nil, nil, ListenError{fmt.Errorf("cannot listen on %s: %w%s", addr, unwrapOp(err), listenHint(err, "choose another with --addr HOST:PORT or the config's listen"))}
	}
	if adminAddr != "" {
		if adminLn, err = net.Listen("tcp", adminAddr); err != nil {
			ln.Close()
			return nil, nil, ListenError{fmt.Errorf("admin_listen: cannot listen on %s: %w%s", adminAddr, unwrapOp(err), listenHint(err, "choose another with the config's admin_listen"))}
		}
	}
	return ln, adminLn, nil
}

// unwrapOp drops net.OpError's "listen tcp ADDR:" prefix, which the
// message already says.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func listenHint(err error, how string) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return " (another program, or another herald, listens there): " + how
	case errors.Is(err, syscall.EACCES):
		return " (ports below 1024 need privileges): " + how
	}
	return ""
}

// differentAddr reports whether the listen address given with --addr is
// not base_url's host and port (an address without a host, ":8080",
// matches any host), and base_url's host:port if so.
func differentAddr(addr, baseURL string) (string, bool) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return "", false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	base := net.JoinHostPort(u.Hostname(), port)
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return base, true
	}
	return base, p != port || (host != "" && host != u.Hostname())
}

// A mode is how a serving process comes by what it serves: alone, by
// collecting into its own store; or as one of several replicas of a
// shared one. It is the seam between serve's one loop and the rest.
type mode interface {
	// start makes what the store holds servable, before the first
	// request is accepted.
	start(ctx context.Context, cfg *config.Config) error
	// run does the mode's background work until ctx is done, and stops
	// it before returning.
	run(ctx context.Context)
	// reload replaces the running configuration with cfg; on error the
	// running one stays.
	reload(ctx context.Context, cfg *config.Config) error
}

// loop runs m until ctx is done or the server stops, reloading the
// configuration at each value of reload. The mode's work stops before the server,
// so that a replica gives up leadership at once and nothing is collected
// that would not be served.
func (sv *serving) loop(ctx context.Context, m mode, reload <-chan struct{}, srvDone <-chan error, stopServer func()) error {
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	runDone := make(chan struct{})
	go func() { defer close(runDone); m.run(runCtx) }()
	stop := func() { stopRun(); <-runDone }
	for {
		select {
		case <-ctx.Done():
			sv.log.Info("shutting down")
			stop()
			stopServer()
			return <-srvDone
		case err := <-srvDone:
			stop()
			return fmt.Errorf("server: %w", err)
		case <-reload:
			running := sv.env.hidden
			cfg, err := sv.env.loadConfig(sv.cfgPath)
			if err == nil {
				if err = m.reload(ctx, cfg); err != nil {
					// The running configuration goes on printing its
					// secrets' places, and the error may name the new
					// one's: both stay hidden.
					sv.env.hide(bothSecrets(running, sv.env.hidden))
				}
			}
			if err != nil {
				sv.log.Error("reload failed; the running configuration stays", "error", err)
				continue
			}
			sv.log.Info("configuration reloaded", "config", sv.cfgPath)
		}
	}
}

// alone is the mode of a process with a store of its own: it collects
// every source on its schedule and serves each build at once.
type alone struct {
	sv *serving
	// running is the configuration's collecting; only the loop's
	// goroutine replaces it, and run reads it once the loop has stopped.
	running *collection
}

// start is the first reload: nothing runs yet.
func (a *alone) start(ctx context.Context, cfg *config.Config) error { return a.reload(ctx, cfg) }

func (a *alone) run(ctx context.Context) {
	<-ctx.Done()
	a.running.stop()
}

// reload builds everything of the new configuration before stopping the
// old (if any), so a config that fails past validation changes nothing.
func (a *alone) reload(ctx context.Context, cfg *config.Config) error {
	next, err := startCollection(ctx, cfg, a.sv.log, a.sv.metrics, a.sv.store, a.publisher(cfg), a.running, nil)
	if err != nil {
		return err
	}
	a.running = next
	a.sv.current.Store(next.p)
	return nil
}

// publisher returns the function that hands a build of cfg to the server,
// then tells the WebSub hub (if any) which feeds changed.
func (a *alone) publisher(cfg *config.Config) publishFunc {
	maxAge, pending := cacheMaxAge(cfg, time.Now()), feedPaths(cfg)
	return func(files []feed.File, _ store.Revs) {
		a.sv.srv.Publish(server.Snapshot{Pages: files, MaxAge: maxAge, Pending: pending})
		a.sv.changes.published(cfg.BaseURL, files)
	}
}

// collection is one configuration's scheduled collecting.
type collection struct {
	p    *pipeline
	stop func() // cancels the scheduler and waits for running collections
}

// startCollection restores cfg's sources from the store, publishes what
// it holds through publishTo, and starts collecting on schedule; old, if
// not nil, is stopped once everything of cfg is built.
func startCollection(ctx context.Context, cfg *config.Config, log *slog.Logger, m *collect.Metrics, store store.Store, publishTo publishFunc, old *collection, gate func() error) (*collection, error) {
	p, err := newPipeline(cfg, log, m, store, gate)
	if err != nil {
		return nil, err
	}
	sched, err := scheduler.New(collectJobs(cfg, p, log, publishTo), scheduler.Options{Logger: warnOnly(log)})
	if err != nil {
		return nil, ConfigError{err}
	}
	if old != nil {
		old.stop()
	}
	// Only now that no collection of the old configuration runs: take up
	// the records of the sources it did not change, forget the others.
	if err := store.Retain(ctx, p.keys); err != nil {
		return nil, err
	}
	if err := p.col.Restore(ctx); err != nil {
		return nil, err
	}
	// Serve what the store holds at once, without waiting for the first
	// collection; after a reload, feeds may have changed even if no
	// source has.
	if _, err := p.build(ctx, time.Now(), publishTo); err != nil {
		log.Error("rendering failed", "error", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sched.Run(runCtx); err != nil {
			log.Error("scheduler stopped", "error", err)
		}
	}()
	watching := watchFolders(runCtx, cfg, sched, log)
	p.sched = sched // for /status's next runs
	return &collection{p: p, stop: func() { cancel(); <-done; watching() }}, nil
}

// clockSkewEnv shifts the clock a replica stamps Last-Modified with and
// ages its view of the lease by, and the server's: a test hook, so that
// tests can run replicas whose clocks disagree without changing the
// machine's. Nothing that decides what a replica serves reads a clock.
const clockSkewEnv = "HERALD_TEST_CLOCK_SKEW"

// processClock is time.Now, shifted by $HERALD_TEST_CLOCK_SKEW (a Go
// duration such as "5s" or "-5s") when set.
func processClock() (func() time.Time, error) {
	v := os.Getenv(clockSkewEnv)
	if v == "" {
		return time.Now, nil
	}
	skew, err := time.ParseDuration(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", clockSkewEnv, err)
	}
	return func() time.Time { return time.Now().Add(skew) }, nil
}

// publishFunc takes a build: its files and the state of the log it was
// rendered from.
type publishFunc = func([]feed.File, store.Revs)

// feedPaths is every configured feed URL: those not built yet (their
// sources are still on their first collection) answer 503, not 404.
func feedPaths(cfg *config.Config) []string {
	var paths []string
	for _, f := range cfg.Feeds {
		for _, format := range feed.Formats {
			paths = append(paths, f.Name+format.Ext)
		}
	}
	return paths
}

// collectJobs is one scheduled job per source: collect it, then publish.
func collectJobs(cfg *config.Config, p *pipeline, log *slog.Logger, publishTo publishFunc) []scheduler.Job {
	var jobs []scheduler.Job
	for _, sc := range cfg.Sources {
		name := sc.Name
		jobs = append(jobs, scheduler.Job{
			Name:     name,
			Schedule: cfg.ScheduleFor(sc),
			Run: func(ctx context.Context) error {
				// Reported here, once; the collector keeps it for
				// /healthz. Returned, the scheduler would log it again.
				if err := p.col.Collect(ctx, name); err != nil {
					logCollectError(log, err)
				}
				if _, err := p.build(ctx, time.Now(), publishTo); err != nil {
					log.Error("rendering failed", "source", name, "error", err)
				}
				return nil
			},
		})
	}
	return jobs
}

// logCollectError logs a failed collection with the source as an
// attribute and the reason as the error, so neither is repeated.
func logCollectError(log *slog.Logger, err error) {
	var ce *collect.Error
	if errors.As(err, &ce) {
		log.Error("collection failed", "source", ce.Source, "error", ce.Err)
		return
	}
	log.Error("collection failed", "error", err)
}

// cacheMaxAge is how long readers may cache a feed: the shortest interval
// between two collections of any source, since no feed can change faster.
// It is capped at an hour so a daily schedule does not pin caches for a day
// after a manual reload.
func cacheMaxAge(cfg *config.Config, now time.Time) time.Duration {
	maxAge := time.Hour
	for _, sc := range cfg.Sources {
		if d, err := scheduler.Interval(cfg.ScheduleFor(sc), now); err == nil && d < maxAge {
			maxAge = d
		}
	}
	return maxAge
}

// warnOnly passes the scheduler's warnings and errors (skipped runs,
// panics) and drops its per-run info lines, which the publisher already
// writes with more detail.
func warnOnly(log *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{log.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (h levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h.Handler.WithAttrs(a), h.min}
}

func (h levelFilter) WithGroup(g string) slog.Handler {
	return levelFilter{h.Handler.WithGroup(g), h.min}
}
