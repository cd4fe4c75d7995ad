package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/publish"
	"github.com/heraldfeed/herald/internal/scheduler"
	"github.com/heraldfeed/herald/internal/server"
)

// serve collects on schedule and serves the feeds until ctx is cancelled.
// SIGHUP reloads the config: a valid one replaces the running collection
// (keeping the last good articles of sources it still has), an invalid one
// is reported and the old one keeps running. The listen address is read
// once, at start, and so is the fast path setting (noFast or fast_path:
// false turn it off).
func serve(ctx context.Context, cfgPath, addr string, noFast bool, log *slog.Logger) error {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	if addr == "" {
		addr = cfg.Listen
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := publish.NewMetrics(reg)
	if err != nil {
		return err
	}
	var current atomic.Pointer[publish.Publisher]
	fastPath := cfg.FastPath && !noFast
	srv, err := server.New(server.Options{
		Logger:     log,
		Registry:   reg,
		Status:     func() []server.SourceStatus { return statuses(current.Load()) },
		AdminToken: cfg.AdminToken,
		NoFastPath: !fastPath,
	})
	if err != nil {
		return err
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var adminLn net.Listener
	if cfg.AdminListen != "" {
		if adminLn, err = net.Listen("tcp", cfg.AdminListen); err != nil {
			ln.Close()
			return fmt.Errorf("admin_listen: %w", err)
		}
	}
	log.Info("serving", "addr", ln.Addr().String(), "config", cfg.Path, "fast_path", fastPath)
	srvCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServer()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(srvCtx, ln) }()
	if adminLn != nil {
		log.Info("serving operator endpoints", "addr", adminLn.Addr().String())
		adminDone := make(chan error, 1)
		go func() { adminDone <- srv.ServeAdmin(srvCtx, adminLn) }()
		defer func() {
			stopServer()
			if err := <-adminDone; err != nil {
				log.Error("admin listener", "error", err)
			}
		}()
	}

	run, err := startCollection(ctx, cfg, log, metrics, srv, nil)
	if err != nil {
		stopServer()
		<-srvDone
		return err
	}
	current.Store(run.pub)
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			run.stop()
			stopServer()
			return <-srvDone
		case err := <-srvDone:
			run.stop()
			return fmt.Errorf("server: %w", err)
		case <-hup:
			next, err := reload(ctx, cfgPath, log, metrics, srv, run)
			if err != nil {
				log.Error("reload failed; the running configuration stays", "error", err)
				continue
			}
			run = next
			current.Store(run.pub)
			log.Info("configuration reloaded", "config", cfgPath)
		}
	}
}

// collection is one configuration's scheduled collecting.
type collection struct {
	pub     *publish.Publisher
	sources *sourceSet
	stop    func() // cancels the scheduler and waits for running collections
}

func reload(ctx context.Context, cfgPath string, log *slog.Logger, m *publish.Metrics, srv *server.Server, old *collection) (*collection, error) {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	// Build everything of the new configuration before stopping the old,
	// so a config that fails past validation changes nothing.
	return startCollection(ctx, cfg, log, m, srv, old)
}

func startCollection(ctx context.Context, cfg *config.Config, log *slog.Logger, m *publish.Metrics, srv *server.Server, old *collection) (*collection, error) {
	var prev *sourceSet
	if old != nil {
		prev = old.sources
	}
	pub, set, err := newPublisher(cfg, log, m, prev)
	if err != nil {
		return nil, err
	}
	maxAge := cacheMaxAge(cfg, time.Now())
	// Every configured feed URL: those not built yet (their sources are
	// still on their first collection) answer 503, not 404.
	var feedPaths []string
	for _, f := range cfg.Feeds {
		for _, format := range feed.Formats {
			feedPaths = append(feedPaths, f.Name+format.Ext)
		}
	}
	publishTo := func(files []publish.File) {
		pages := make([]server.Page, len(files))
		for i, f := range files {
			pages[i] = server.Page{Path: f.Path, MediaType: f.MediaType, Body: f.Body, Modified: f.Modified}
		}
		srv.Publish(server.Snapshot{Pages: pages, MaxAge: maxAge, Pending: feedPaths})
	}
	var jobs []scheduler.Job
	for _, sc := range cfg.Sources {
		name := sc.Name
		jobs = append(jobs, scheduler.Job{
			Name:     name,
			Schedule: cfg.ScheduleFor(sc),
			Run: func(ctx context.Context) error {
				// The publisher logs, counts and keeps the error for
				// /healthz; returning it would log it a second time.
				_ = pub.Collect(ctx, name)
				if _, err := pub.Build(publishTo); err != nil {
					log.Error("rendering failed", "source", name, "error", err)
				}
				return nil
			},
		})
	}
	sched, err := scheduler.New(jobs, scheduler.Options{Logger: warnOnly(log)})
	if err != nil {
		return nil, configError{err}
	}
	if old != nil {
		old.stop()
		pub.Adopt(old.pub)
		// Feeds may have changed even if no source has: publish now.
		if _, err := pub.Build(publishTo); err != nil {
			log.Error("rendering failed", "error", err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sched.Run(runCtx); err != nil {
			log.Error("scheduler stopped", "error", err)
		}
	}()
	return &collection{pub: pub, sources: set, stop: func() { cancel(); <-done }}, nil
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

func statuses(pub *publish.Publisher) []server.SourceStatus {
	if pub == nil {
		return nil
	}
	var out []server.SourceStatus
	for _, s := range pub.Status() {
		out = append(out, server.SourceStatus{
			Name: s.Name, LastRun: s.LastRun, LastSuccess: s.LastSuccess, LastFailure: s.LastFailure,
			LastError: redact(s.LastError), Items: s.Items, Running: s.Running,
		})
	}
	return out
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
