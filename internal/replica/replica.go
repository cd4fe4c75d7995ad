package replica

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/server"
	"github.com/heraldfeed/herald/internal/store"
)

// opTimeout bounds each database call of the loop, so a database that
// stops answering is reported rather than waited on.
const opTimeout = 5 * time.Second

// Options configures a Replica.
type Options struct {
	Store store.Shared
	// ID names this replica to the others (/healthz, the status page).
	ID     string
	Logger *slog.Logger
	// Registry, if set, gets the herald_leader, herald_database_up and
	// herald_publication_generation gauges.
	Registry prometheus.Registerer
	// Serve serves a publication: the whole of it, stamped, its
	// generation and the state of the log it was built from (pages
	// rendered on demand must match it). Calls are serialized. A
	// replica serves each publication as soon as it has read it: no
	// instant is agreed on, so no clock is trusted (see CatchUp).
	Serve func(Publication)
	// Lead runs the collecting side while this replica leads: it is
	// called when leadership is taken and must return once ctx is done
	// (leadership lost, or Run's ctx done), having stopped collecting.
	Lead func(ctx context.Context)
	// Interval is how often a follower tries to take over and checks the
	// publication without waiting for a notice; default a fifth of the
	// store's LeaseTerm (2 s of PostgreSQL's default 10 s), so a takeover
	// comes within 1.2 lease terms of the leader's last renewal.
	Interval time.Duration
	// Now is the clock: it stamps Last-Modified while this replica
	// leads and ages the lease /healthz reports; a seam for tests (clock
	// skew); default time.Now.
	Now func() time.Time
	// Topics, if set, names the feed URLs a WebSub hub is to be told of
	// for a publication: of its changed pages, given those of the
	// publication before. They are stored with the publication.
	Topics func(changed []feed.File, before map[string]feed.File) []string
	// Ping, if set, tells the hub of one topic (one attempt). The leader
	// sends the pings publications left, each once the hub took it, not
	// before this replica serves the publication plus HubMargin; after a
	// failover the new leader sends those the old one did not.
	Ping func(ctx context.Context, topic string) error
	// HubMargin is how long after this replica serves a publication its
	// pings wait, so that the other replicas, told at its commit, serve it
	// too when the hub fetches; default defaultHubMargin.
	HubMargin time.Duration
}

// Publication is what Options.Serve gets.
type Publication struct {
	Gen   int64
	Pages []feed.File // sorted by path
	Revs  store.Revs
}

// defaultHubMargin is Options.HubMargin's default: well above the time
// the replicas take to serve a publication after its commit (tens of
// milliseconds: BenchmarkPropagation).
const defaultHubMargin = 250 * time.Millisecond

// Replica is this process's part in a replica set. Its methods are safe
// for concurrent use.
type Replica struct {
	opts Options
	log  *slog.Logger

	pubMu sync.Mutex           // serializes Publish and Sync: they read and replace pages
	pages map[string]feed.File // the publication served, by path
	revs  store.Revs           // its state of the log

	mu     sync.Mutex // guards the fields below
	live   int64      // the publication served
	liveAt time.Time  // when it was served (monotonic)
	// served is closed when a newer publication is served (Served).
	served chan struct{}
	// catching up (CatchUp): rounds of Sync started and finished, and
	// whether one runs.
	rounds, finished int64
	syncing          bool
	roundDone        chan struct{}
	leading          bool
	held             store.Leadership // while leading
	dbErr            error
	leader           string
	since            time.Time
	// left is the leader's lease as the database said at leftAt (this
	// process's clock, used only to age it).
	left   time.Duration
	leftAt time.Time

	leaderGauge, dbGauge, genGauge prometheus.Gauge
}

// New returns a Replica; Run starts it.
func New(opts Options) (*Replica, error) {
	if opts.Store == nil || opts.Serve == nil || opts.Lead == nil {
		return nil, errors.New("replica: Store, Serve and Lead are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = opts.Store.LeaseTerm() / 5
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Replica{opts: opts, log: opts.Logger, pages: map[string]feed.File{}, served: make(chan struct{}),
		roundDone: make(chan struct{})}
	r.leaderGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_leader", Help: "1 while this replica leads (collects and publishes), else 0.",
	})
	r.dbGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_database_up", Help: "1 while the shared store answers, else 0 (the replica serves what it has).",
	})
	r.genGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_publication_generation", Help: "The publication this replica serves; equal on every replica once they caught up.",
	})
	if opts.Registry != nil {
		for _, c := range []prometheus.Collector{r.leaderGauge, r.dbGauge, r.genGauge} {
			if err := opts.Registry.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// Status is what /healthz and the status page say of this replica.
func (r *Replica) Status() server.ReplicaStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := server.ReplicaStatus{ID: r.opts.ID, Role: server.RoleFollower, Leader: r.leader, LeaderSince: r.since,
		Database: "ok", Generation: r.live}
	if r.leading {
		st.Role = server.RoleLeader
	}
	if r.dbErr != nil {
		st.Database, st.DatabaseError = "unreachable", r.dbErr.Error()
	}
	if r.leader != "" {
		left := r.left - r.opts.Now().Sub(r.leftAt)
		st.LeaderLease, st.LeaseLeft = "held", left.Round(time.Millisecond).Seconds()
		if left < 0 && !r.leading {
			st.LeaderLease = "expired"
		}
	}
	return st
}

// ErrNotLeading is MayCollect's answer once this replica's lease may have
// run out.
var ErrNotLeading = errors.New("this replica's lease may have run out: not collecting")

// MayCollect is the collecting side's gate (sources.FetchConfig.Gate):
// nil while this replica leads under a lease that holds by its own
// clock. A process resumed after a pause gets ErrNotLeading before its
// first request, however its collections stood when it stopped.
func (r *Replica) MayCollect() error {
	r.mu.Lock()
	held := r.held
	r.mu.Unlock()
	if held == nil || !held.Valid() {
		return ErrNotLeading
	}
	return nil
}

// Leading reports whether this replica leads.
func (r *Replica) Leading() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leading
}

// Publish publishes a build of the leader, rendered from the log at revs.
// Each page whose bytes changed since the publication served gets its
// Last-Modified decided (server.LastModified) and the new generation; the
// changed pages go to the store, which tells every replica, and this one
// serves the publication at once. It returns the publication's
// generation, and whether there was anything to publish: a build that
// changed no page and read the same state of the log is the same
// publication. The pages are kept (the next build is compared with them):
// their bodies must not change afterwards. When the store refuses (the
// database is lost, or this replica no longer leads) nothing is served:
// the replicas must not part ways.
func (r *Replica) Publish(ctx context.Context, pages []feed.File, revs store.Revs) (gen int64, published bool, err error) {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	now := r.opts.Now()
	next := make(map[string]feed.File, len(pages))
	var changed []feed.File
	for _, p := range pages {
		prev, ok := r.pages[p.Path]
		if ok && prev.MediaType == p.MediaType && bytes.Equal(prev.Body, p.Body) {
			p.Modified, p.Gen = prev.Modified, prev.Gen
		} else {
			p.Modified = server.LastModified(p.Modified, prev.Modified, now)
			changed = append(changed, p)
		}
		next[p.Path] = p
	}
	gen = r.Live()
	if len(changed) == 0 && len(next) == len(r.pages) && maps.Equal(revs, r.revs) && gen > 0 {
		return gen, false, nil
	}
	var topics []string
	if r.opts.Topics != nil && r.opts.Ping != nil {
		topics = r.opts.Topics(changed, r.pages)
	}
	gen, _, err = r.opts.Store.Publish(ctx, changed, sortedPaths(next), topics, revs)
	if err != nil {
		return 0, false, err
	}
	for _, p := range changed {
		p.Gen = gen
		next[p.Path] = p
	}
	r.pages, r.revs = next, revs
	r.serve(gen)
	return gen, true, nil
}

// Live is the publication this replica serves.
func (r *Replica) Live() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live
}

// Served returns a channel closed once a publication newer than the one
// served now is served.
func (r *Replica) Served() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.served
}

// Sync takes up the store's current publication if it is newer than the
// one served, reading only the pages that changed since, and serves it.
func (r *Replica) Sync(ctx context.Context) error {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	have := r.Live()
	pub, err := r.opts.Store.Published(ctx, have)
	if err != nil {
		return err
	}
	if pub.Gen < have {
		// The database was replaced (restored from a backup): start over.
		if pub, err = r.opts.Store.Published(ctx, 0); err != nil {
			return err
		}
	} else if pub.Gen == have {
		return nil
	}
	next := make(map[string]feed.File, len(pub.Paths))
	for _, p := range pub.Pages {
		next[p.Path] = p
	}
	for _, path := range pub.Paths {
		if _, ok := next[path]; !ok {
			p, ok := r.pages[path]
			if !ok || have == 0 {
				// Only a store that broke its contract gets here; asking
				// for everything again repairs it.
				r.pages = map[string]feed.File{}
				r.mu.Lock()
				r.live = 0
				r.mu.Unlock()
				return errors.New("publication lists a page it did not deliver")
			}
			next[path] = p
		}
	}
	r.pages, r.revs = next, pub.Revs
	r.serve(pub.Gen)
	return nil
}

// serve serves r.pages as publication gen; r.pubMu is held.
func (r *Replica) serve(gen int64) {
	list := make([]feed.File, 0, len(r.pages))
	for _, path := range sortedPaths(r.pages) {
		list = append(list, r.pages[path])
	}
	r.opts.Serve(Publication{Gen: gen, Pages: list, Revs: r.revs})
	r.mu.Lock()
	r.live, r.liveAt = gen, time.Now()
	close(r.served)
	r.served = make(chan struct{})
	r.mu.Unlock()
	r.genGauge.Set(float64(gen))
}

// catchUpTimeout bounds CatchUp's wait for the database.
const catchUpTimeout = 2 * time.Second

// CatchUp returns once this replica serves publication gen or newer, or
// a Sync that started after the call found none that new (the tag that
// named it came from elsewhere), or ctx is done or catchUpTimeout passed.
// A reader shown gen by a replica that switched first comes here
// (server.Options.CatchUp): gen was committed before that reader asked,
// so a Sync started after the call sees it. Concurrent calls share the
// rounds of Sync, so a flood of such requests costs one query at a time.
func (r *Replica) CatchUp(ctx context.Context, gen int64) {
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	r.mu.Lock()
	need := r.rounds + 1 // a round that starts after this call
	for r.live < gen && r.finished < need {
		if !r.syncing {
			r.syncing = true
			r.rounds++
			go r.syncRound(r.rounds)
		}
		done := r.roundDone
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-done:
		}
		r.mu.Lock()
	}
	r.mu.Unlock()
}

// syncRound is round n of CatchUp's Syncs.
func (r *Replica) syncRound(n int64) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err := r.Sync(ctx)
	r.mu.Lock()
	r.finished, r.syncing = n, false
	close(r.roundDone)
	r.roundDone = make(chan struct{})
	r.mu.Unlock()
	if err != nil {
		r.log.Debug("catching up on the publication", "error", err)
	}
}

func sortedPaths(pages map[string]feed.File) []string {
	paths := make([]string, 0, len(pages))
	for p := range pages {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// Run takes part in the replica set until ctx is done: it follows every
// publication (at each notice, and every Interval), and tries to take
// leadership every Interval, running Lead while it holds it.
func (r *Replica) Run(ctx context.Context) {
	changes := r.opts.Store.Changes(ctx)
	tick := time.NewTicker(r.opts.Interval)
	defer tick.Stop()
	var lead *leadership
	// stopping is closed once the last leadership's Lead has returned: a
	// collection blocked on a lost database may take a while, and no
	// other may start before it ends.
	var stopping chan struct{}
	defer func() {
		if lead != nil {
			lead.stop()
		}
		if stopping != nil {
			<-stopping
		}
	}()
	r.check(ctx, nil)
	for {
		if lead != nil && lead.ended() {
			// Its store refuses its writes already; say so at once.
			r.setLeading(false)
			r.log.Warn("leadership lost; following", "replica", r.opts.ID)
			stopping = make(chan struct{})
			go func(l *leadership, done chan struct{}) { l.stop(); close(done) }(lead, stopping)
			lead = nil
		}
		if lead == nil && closed(stopping) {
			lead = r.campaign(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case gen, ok := <-changes:
			if !ok {
				changes = nil // ctx is done: the next round returns
				continue
			}
			if r.Live() < gen {
				r.check(ctx, nil)
			}
		case <-tick.C:
			r.check(ctx, lead)
		case <-lead.lostC():
		}
	}
}

// check catches up on the publication and learns who leads, recording
// whether the database answers. A leader publishes itself and skips the
// catching up.
func (r *Replica) check(ctx context.Context, lead *leadership) {
	opCtx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var err error
	if lead == nil {
		err = r.Sync(opCtx)
	}
	if err == nil {
		var lease store.Lease
		if lease, err = r.opts.Store.Leader(opCtx); err == nil {
			r.mu.Lock()
			r.leader, r.since, r.left, r.leftAt = lease.ID, lease.Since, lease.Left, r.opts.Now()
			r.mu.Unlock()
		}
	}
	if ctx.Err() != nil {
		return
	}
	r.setDBErr(err)
}

func (r *Replica) setDBErr(err error) {
	r.mu.Lock()
	was := r.dbErr
	r.dbErr = err
	r.mu.Unlock()
	switch {
	case err != nil && was == nil:
		r.log.Error("shared store unreachable; serving the last publication", "error", err)
		r.dbGauge.Set(0)
	case err == nil && was != nil:
		r.log.Info("shared store reachable again")
		fallthrough
	case err == nil:
		r.dbGauge.Set(1)
	}
}

func (r *Replica) setLeading(on bool) {
	r.mu.Lock()
	r.leading = on
	if on {
		r.leader, r.since = r.opts.ID, r.opts.Now()
	} else {
		r.held = nil
	}
	r.mu.Unlock()
	r.leaderGauge.Set(map[bool]float64{true: 1}[on])
}

// campaign tries once to take leadership; when it does, it catches up on
// the publication and starts Lead.
func (r *Replica) campaign(ctx context.Context) *leadership {
	opCtx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	l, err := r.opts.Store.Lead(opCtx, r.opts.ID)
	if errors.Is(err, store.ErrLedElsewhere) || ctx.Err() != nil {
		return nil
	}
	if err != nil {
		r.setDBErr(err)
		return nil
	}
	// The last leader's publication is what this one's builds compare
	// against: a page that did not change keeps its Last-Modified.
	if err := r.Sync(opCtx); err != nil {
		l.Release()
		r.setDBErr(err)
		return nil
	}
	r.setDBErr(nil)
	r.mu.Lock()
	r.held = l
	r.mu.Unlock()
	r.setLeading(true)
	r.log.Info("leading: collecting and publishing", "replica", r.opts.ID)
	leadCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-l.Lost():
			// Said at once: the loop may be waiting on the lost database.
			r.setLeading(false)
		case <-leadCtx.Done():
		}
		stop()
	}()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		pinged := make(chan struct{})
		go func() { defer close(pinged); r.pinger(leadCtx) }()
		r.opts.Lead(leadCtx)
		<-pinged
	}()
	return &leadership{l: l, cancel: stop, done: done, ran: ran}
}

// closed reports whether ch is nil or closed.
func closed(ch chan struct{}) bool {
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// leadership is a held leadership and the Lead call running under it.
type leadership struct {
	l      store.Leadership
	cancel context.CancelFunc
	done   chan struct{} // closed once leadership is lost or given up
	ran    chan struct{} // closed once Lead returned
}

// lostC is closed when leadership is lost; nil (never) without one.
func (l *leadership) lostC() <-chan struct{} {
	if l == nil {
		return nil
	}
	return l.done
}

func (l *leadership) ended() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// stop ends Lead, then gives leadership up, so no collection of this
// replica runs once another may lead.
func (l *leadership) stop() {
	l.cancel()
	<-l.ran
	l.l.Release()
}

// pingEvery is how often the leader looks for pings to send.
const pingEvery = 250 * time.Millisecond

// pinger sends, while this replica leads (until ctx is done), the pings
// publications left in the store, oldest first: each once this replica
// serves its publication plus HubMargin, and only while its lease holds
// (MayCollect); a ping the hub refused is tried again with backoff, and
// stays in the store until the hub takes it, for this leader or the next.
func (r *Replica) pinger(ctx context.Context) {
	if r.opts.Ping == nil {
		return
	}
	margin := r.opts.HubMargin
	if margin <= 0 {
		margin = defaultHubMargin
	}
	type retry struct {
		n  int
		at time.Time
	}
	retries := map[store.Ping]retry{}
	sent := map[store.Ping]bool{} // the hub took it; the store has not recorded that yet
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		opCtx, cancel := context.WithTimeout(ctx, opTimeout)
		pings, err := r.opts.Store.Pings(opCtx)
		cancel()
		if err != nil {
			continue // the database: the replica's loop reports it
		}
		r.mu.Lock()
		live, liveAt := r.live, r.liveAt
		r.mu.Unlock()
		for _, p := range pings {
			if p.Gen > live || (p.Gen == live && time.Since(liveAt) < margin) {
				break // oldest first: the rest are newer
			}
			if rt, ok := retries[p]; ok && time.Now().Before(rt.at) {
				continue
			}
			if r.MayCollect() != nil || ctx.Err() != nil {
				return
			}
			opCtx, cancel := context.WithTimeout(ctx, opTimeout)
			var err error
			if !sent[p] {
				err = r.opts.Ping(opCtx, p.Topic)
			}
			if err == nil {
				sent[p] = true
				delete(retries, p)
				if err = r.opts.Store.Pinged(opCtx, p); err == nil {
					delete(sent, p)
				}
			}
			cancel()
			switch {
			case errors.Is(err, store.ErrNotLeader):
				return
			case err != nil:
				rt := retries[p]
				rt.n++
				rt.at = time.Now().Add(min(time.Second<<min(rt.n, 10), 10*time.Minute))
				retries[p] = rt
				r.log.Warn("websub: notifying the hub failed; retrying", "url", p.Topic, "count", rt.n, "error", err)
			default:
				r.log.Debug("websub: hub notified", "url", p.Topic)
			}
		}
	}
}
