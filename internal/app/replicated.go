package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
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
		rs.DatabaseError = sv.env.Redact(rs.DatabaseError)
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

// replicated is the mode of one of several replicas of a shared store: it
// serves the current publication at once, then follows every new one,
// and collects and publishes while it leads (replica.Replica decides).
type replicated struct {
	sv       *serving
	shared   store.Shared
	registry *prometheus.Registry

	cfg     atomic.Pointer[config.Config] // the running configuration
	reloads chan *config.Config           // to the collecting side while it leads
	// unpublished is set while the leader's last build could not be
	// published; lead tries again.
	unpublished atomic.Bool
	// followMu orders serve and setCurrent: followed is the last
	// publication served, which the pipeline serving on demand follows.
	followMu sync.Mutex
	followed *replica.Publication
}

// start serves what the leader published, before the first request is
// accepted, so every replica answers it with the same bytes.
func (r *replicated) start(ctx context.Context, cfg *config.Config) error {
	sv := r.sv
	p, err := newPipeline(cfg, sv.log, sv.metrics, r.shared, nil)
	if err != nil {
		return err
	}
	r.setCurrent(p)
	r.cfg.Store(cfg)
	r.reloads = make(chan *config.Config, 1)
	opts := replica.Options{
		Store: r.shared, ID: replicaID(), Logger: sv.log, Registry: r.registry,
		Serve: r.serve, Lead: r.lead, Now: sv.now,
	}
	if sv.changes != nil {
		// Pings live in the store with the publications: whichever
		// replica leads sends each once.
		opts.Topics, opts.Ping = r.topics, sv.changes.n.Ping
	}
	if sv.rep, err = replica.New(opts); err != nil {
		return err
	}
	if err := sv.rep.Sync(ctx); err != nil {
		return fmt.Errorf("reading the publication: %w", err)
	}
	return nil
}

// run follows the publications, and collects while leading, until ctx
// is done; then it gives up leadership, so another replica takes over at
// once.
func (r *replicated) run(ctx context.Context) { r.sv.rep.Run(ctx) }

// reload takes a new configuration: a follower serves with it at once,
// the collecting side (lead) restarts with it if it runs.
func (r *replicated) reload(_ context.Context, next *config.Config) error {
	sv := r.sv
	p, err := newPipeline(next, sv.log, sv.metrics, r.shared, nil)
	if err != nil {
		return err
	}
	r.cfg.Store(next)
	if !sv.rep.Leading() {
		r.setCurrent(p)
	}
	select { // the collecting side, if it runs, takes the newest
	case <-r.reloads:
	default:
	}
	r.reloads <- next
	return nil
}

// serve serves a publication, stamped as the leader decided, and makes
// on-demand pages and /status follow it.
func (r *replicated) serve(pub replica.Publication) {
	sv := r.sv
	r.followMu.Lock()
	defer r.followMu.Unlock()
	r.followed = &pub
	cfg, p := r.cfg.Load(), sv.current.Load()
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
func (r *replicated) setCurrent(p *pipeline) {
	r.followMu.Lock()
	defer r.followMu.Unlock()
	if r.followed != nil {
		follow(p, r.followed)
	}
	r.sv.current.Store(p)
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
func (r *replicated) lead(ctx context.Context) {
	sv := r.sv
	var run *collection
	var runCfg *config.Config // run's configuration (a failed reload leaves it)
	defer func() {
		if run != nil {
			run.stop()
		}
	}()
	select { // a reload while following is in r.cfg already
	case <-r.reloads:
	default:
	}
	cfg := r.cfg.Load()
	// A build the database refused is published again soon, not at the
	// next collection, which may be a schedule away.
	republish := time.NewTicker(republishEvery)
	defer republish.Stop()
	for {
		next, err := startCollection(ctx, cfg, sv.log, sv.metrics, sv.store, r.publisher(cfg), run, sv.rep.MayCollect)
		var retry <-chan time.Time
		switch {
		case err == nil:
			run, runCfg = next, cfg
			r.setCurrent(run.p)
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
			case cfg = <-r.reloads:
				waiting = false
			case <-retry:
				waiting = false
			case <-republish.C:
				if run != nil && r.unpublished.Load() {
					if _, err := run.p.build(ctx, time.Now(), r.publisher(runCfg)); err != nil {
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

// publisher returns the function that publishes a build of cfg to every
// replica; the pings it leaves for a WebSub hub are sent by the leader
// (replica.Options.Ping).
func (r *replicated) publisher(cfg *config.Config) publishFunc {
	sv := r.sv
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
			r.unpublished.Store(true)
			return
		}
		r.unpublished.Store(false)
	}
}

// topics names the feed URLs a hub is to be told of for a publication:
// the feed documents among its changed pages that were published before
// (a feed published for the first time has no subscribers yet).
func (r *replicated) topics(changed []feed.File, before map[string]feed.File) []string {
	cfg := r.cfg.Load()
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
