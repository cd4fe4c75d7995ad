package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/replica"
	"github.com/heraldfeed/herald/internal/server"
	"github.com/heraldfeed/herald/internal/site"
	"github.com/heraldfeed/herald/internal/store"
)

// publishTimeout bounds the leader's writing of one publication.
const publishTimeout = 30 * time.Second

// replicaStatus is the server's Replica option: nil for a process alone.
func (sv *serving) replicaStatus(st store.Store) func() server.ReplicaStatus {
	if _, ok := st.(store.Shared); !ok {
		return nil
	}
	return func() server.ReplicaStatus {
		if sv.rep == nil {
			return server.ReplicaStatus{ID: replicaID(), Role: server.RoleFollower, Database: "ok"}
		}
		rs := sv.rep.Status()
		rs.DatabaseError = redactor.Load().Text(rs.DatabaseError)
		return rs
	}
}

// replicaID names this process to the other replicas: its host and
// process ID, unique among replicas on one host and across hosts.
func replicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}

// replicated serves as one of several replicas of a shared store: it
// serves the current publication at once, then follows every new one,
// and collects and publishes while it leads (replica.Replica decides).
// SIGHUP reloads the configuration as it does alone.
func (sv *serving) replicated(ctx context.Context, cfg *config.Config, shared store.Shared, reg *prometheus.Registry, addr string, hup <-chan os.Signal) error {
	p, err := newPipeline(cfg, sv.log, sv.metrics, shared, nil)
	if err != nil {
		return err
	}
	sv.setCurrent(p)
	sv.cfg.Store(cfg)
	sv.reloads = make(chan *config.Config, 1)
	opts := replica.Options{
		Store: shared, ID: replicaID(), Logger: sv.log, Registry: reg,
		Serve: sv.serveReplica, Lead: sv.lead, Now: sv.now,
	}
	if sv.changes != nil {
		// Pings live in the store with the publications: whichever
		// replica leads sends each once.
		opts.Topics, opts.Ping = sv.topics, sv.changes.n.Ping
	}
	sv.rep, err = replica.New(opts)
	if err != nil {
		return err
	}
	// Serve what the leader published before listening, so every
	// replica answers its first request with the same bytes.
	if err := sv.rep.Sync(ctx); err != nil {
		return fmt.Errorf("reading the publication: %w", err)
	}
	ln, adminLn, err := listen(addr, cfg.AdminListen)
	if err != nil {
		return err
	}
	sv.log.Info("serving as a replica", "addr", ln.Addr().String(), "replica", replicaID(), "config", cfg.Path)
	logFeeds(sv.log, cfg)
	srvDone, stopServer, finish := sv.startServing(ctx, ln, adminLn)
	defer finish()
	repCtx, stopReplica := context.WithCancel(context.WithoutCancel(ctx))
	repDone := make(chan struct{})
	go func() { defer close(repDone); sv.rep.Run(repCtx) }()
	// Stopping the replica first ends its collecting and gives up
	// leadership, so another replica takes over at once.
	stop := func() { stopReplica(); <-repDone }
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
		case <-hup:
			if err := sv.reloadReplica(shared); err != nil {
				sv.log.Error("reload failed; the running configuration stays", "error", err)
				continue
			}
			sv.log.Info("configuration reloaded", "config", sv.cfgPath)
		}
	}
}

// reloadReplica reads the configuration again: a follower serves with it
// at once, the collecting side (lead) restarts with it if it runs.
func (sv *serving) reloadReplica(shared store.Shared) error {
	next, err := loadConfig(sv.cfgPath)
	if err != nil {
		return err
	}
	p, err := newPipeline(next, sv.log, sv.metrics, shared, nil)
	if err != nil {
		return err
	}
	sv.cfg.Store(next)
	if !sv.rep.Leading() {
		sv.setCurrent(p)
	}
	select { // the collecting side, if it runs, takes the newest
	case <-sv.reloads:
	default:
	}
	sv.reloads <- next
	return nil
}

// serveReplica serves a publication, stamped as the leader decided, and
// makes on-demand pages and /status follow it.
func (sv *serving) serveReplica(pub replica.Publication) {
	sv.followMu.Lock()
	defer sv.followMu.Unlock()
	sv.followed = &pub
	cfg, p := sv.cfg.Load(), sv.current.Load()
	// Follow first: a request for an on-demand page between the two
	// waits for the publication (site.ErrAhead) rather than get a page
	// of the one before.
	follow(p, &pub)
	sv.srv.Publish(server.Snapshot{Pages: pub.Pages, MaxAge: cacheMaxAge(cfg, time.Now()), Pending: feedPaths(cfg), Stamped: true, Gen: pub.Gen})
	p.feeds.countItems(pub.Pages)
	if sv.rep != nil && !sv.rep.Leading() {
		// The status is read from the database, which may be slow to
		// answer: not in the way of serving.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := p.col.LoadStatus(ctx); err != nil {
				sv.log.Warn("reading the sources' status", "error", err)
			}
		}()
	}
}

// setCurrent makes p the pipeline that serves on demand, following the
// publication served.
func (sv *serving) setCurrent(p *pipeline) {
	sv.followMu.Lock()
	defer sv.followMu.Unlock()
	if sv.followed != nil {
		follow(p, sv.followed)
	}
	sv.current.Store(p)
}

func follow(p *pipeline, pub *replica.Publication) {
	paths := make([]string, len(pub.Pages))
	for i, pg := range pub.Pages {
		paths[i] = pg.Path
	}
	p.site.Follow(paths, pub.Revs)
}

// aheadWait bounds how long a request for an on-demand page waits for
// the publication of a change the log already holds (site.ErrAhead);
// past it, the page is rendered from the log as it stands (a leader that
// collected and did not publish in time: it failed or was deposed).
const aheadWait = 3 * time.Second

// page is the server's Lookup: an article page or full archive document,
// rendered from the state of the log the publication served was built
// from.
func (sv *serving) page(ctx context.Context, path string) (feed.File, bool, error) {
	p := sv.current.Load()
	if p == nil {
		return feed.File{}, false, nil
	}
	var timeout <-chan time.Time
	for {
		var served <-chan struct{}
		if sv.rep != nil {
			served = sv.rep.Served()
		}
		f, ok, err := p.site.Page(ctx, path)
		if !errors.Is(err, site.ErrAhead) {
			return f, ok, err
		}
		if timeout == nil {
			timer := time.NewTimer(aheadWait)
			defer timer.Stop()
			timeout = timer.C
		}
		select {
		case <-ctx.Done():
			return feed.File{}, false, ctx.Err()
		case <-served:
			p = sv.current.Load()
		case <-timeout:
			return p.site.PageLatest(ctx, path)
		}
	}
}

// catchUp is the server's CatchUp: a replica brought up to a publication
// a reader was shown elsewhere.
func (sv *serving) catchUp(ctx context.Context, gen int64) {
	if sv.rep != nil {
		sv.rep.CatchUp(ctx, gen)
	}
}

// lead is the collecting side of a replica, run while it leads: the
// sources restored from the store (their state included, so nothing is
// fetched again in full) and collected on schedule, each build published
// to every replica. It returns once ctx is done, its collections stopped.
func (sv *serving) lead(ctx context.Context) {
	var run *collection
	var runCfg *config.Config // run's configuration (a failed reload leaves it)
	defer func() {
		if run != nil {
			run.stop()
		}
	}()
	select { // a reload while following is in sv.cfg already
	case <-sv.reloads:
	default:
	}
	cfg := sv.cfg.Load()
	// A build the database refused is published again soon, not at the
	// next collection, which may be a schedule away.
	republish := time.NewTicker(republishEvery)
	defer republish.Stop()
	for {
		next, err := startCollection(ctx, cfg, sv.log, sv.metrics, sv.store, sv.leaderPublisher(cfg), run, sv.rep.MayCollect)
		var retry <-chan time.Time
		switch {
		case err == nil:
			run, runCfg = next, cfg
			sv.setCurrent(run.p)
		case ctx.Err() != nil:
			return
		case run == nil:
			// The first start failed (the database may have blinked):
			// try again soon rather than lead without collecting.
			sv.log.Error("starting to collect", "error", err)
			retry = time.After(5 * time.Second)
		default:
			sv.log.Error("reload failed; the running configuration stays", "error", err)
		}
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case cfg = <-sv.reloads:
				waiting = false
			case <-retry:
				waiting = false
			case <-republish.C:
				if run != nil && sv.unpublished.Load() {
					if _, err := run.p.build(ctx, time.Now(), sv.leaderPublisher(runCfg)); err != nil {
						sv.log.Error("rendering failed", "error", err)
					}
				}
			}
		}
	}
}

// republishEvery is how often a leader whose last publication failed
// tries again.
const republishEvery = 5 * time.Second

// leaderPublisher returns the function that publishes a build of cfg to
// every replica; the pings it leaves for a WebSub hub are sent by the
// leader (replica.Options.Ping).
func (sv *serving) leaderPublisher(cfg *config.Config) publishFunc {
	return func(files []feed.File, revs store.Revs) {
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		_, _, err := sv.rep.Publish(ctx, files, revs)
		if err != nil {
			level := slog.LevelError
			if errors.Is(err, store.ErrNotLeader) {
				level = slog.LevelWarn
			}
			sv.log.Log(ctx, level, "publishing failed; the replicas keep the previous publication", "error", err)
			sv.unpublished.Store(true)
			return
		}
		sv.unpublished.Store(false)
	}
}

// topics names the feed URLs a hub is to be told of for a publication:
// the feed documents among its changed pages that were published before
// (a feed published for the first time has no subscribers yet).
func (sv *serving) topics(changed []feed.File, before map[string]feed.File) []string {
	cfg := sv.cfg.Load()
	feeds := map[string]bool{}
	for _, p := range feedPaths(cfg) {
		feeds[p] = true
	}
	var out []string
	for _, p := range changed {
		if _, ok := before[p.Path]; ok && feeds[p.Path] {
			out = append(out, cfg.BaseURL+p.Path)
		}
	}
	return out
}
