package replica

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldfeed/herald/internal/server"
	"github.com/heraldfeed/herald/internal/store"
)

// DefaultInterval is how often a follower tries to take leadership and
// checks the publication without waiting for a notice. With PostgreSQL's
// keepalives (which free the lock of a vanished leader's session within
// about 11 s) it bounds a takeover at 15 s; after a leader process dies
// its session ends at once, and a takeover takes one Interval.
const DefaultInterval = 2 * time.Second

// DefaultSettle is how long after a publication's commit every replica
// switches to it, all at the same instant (by their clocks, which NTP
// keeps within milliseconds of the database's): long enough for every
// replica to have been told, read the changed pages and compressed them
// (7 ms, 25 ms at most: BenchmarkPropagation), so that a reader moved
// from one replica to another never gets an older version after a newer
// one.
const DefaultSettle = time.Second

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
	// Prepare gets the whole of a publication, stamped, ready to serve
	// (the server compresses it, renders its headers); activate serves
	// it, discard drops it (a newer one came first). Calls are
	// serialized; activate runs at the publication's switch instant, or
	// earlier when promote is called (a reader shows the server the new
	// version: another replica switched a hair sooner). promote does not
	// block.
	Prepare func(pages []store.Page, promote func()) (activate, discard func())
	// Settle is how long after a publication's commit it is served, by
	// every replica at once; default DefaultSettle, negative: at once.
	Settle time.Duration
	// Lead runs the collecting side while this replica leads: it is
	// called when leadership is taken and must return once ctx is done
	// (leadership lost, or Run's ctx done), having stopped collecting.
	Lead func(ctx context.Context)
	// Interval is how often a follower tries to take over and checks the
	// publication; default DefaultInterval.
	Interval time.Duration
	// Now is the clock, a seam for tests; default time.Now.
	Now func() time.Time
	// Topics, if set, names the feed URLs a WebSub hub is to be told of
	// for a publication: of its changed pages, given those of the
	// publication before. They are stored with the publication.
	Topics func(changed []store.Page, before map[string]store.Page) []string
	// Ping, if set, tells the hub of one topic (one attempt). The leader
	// sends the pings publications left, each once the hub took it, not
	// before this replica serves the publication plus HubMargin; after a
	// failover the new leader sends those the old one did not.
	Ping func(ctx context.Context, topic string) error
	// HubMargin is how long after this replica switches to a publication
	// its pings wait (the other replicas switch at the same instant);
	// default DefaultHubMargin.
	HubMargin time.Duration
}

// DefaultHubMargin is Options.HubMargin's default: a replica whose switch
// comes a little late (a busy machine) serves the new feed when the hub
// fetches it.
const DefaultHubMargin = 250 * time.Millisecond

// Replica is this process's part in a replica set. Its methods are safe
// for concurrent use.
type Replica struct {
	opts Options
	log  *slog.Logger

	pubMu   sync.Mutex            // serializes Publish, Sync and switches: they read and replace pages
	pages   map[string]store.Page // the newest publication known, by path
	pending *switchover           // the newest publication, prepared, until it is served

	mu      sync.Mutex // guards the fields below
	gen     int64      // the newest publication known (pages)
	live    int64      // the publication served
	liveAt  time.Time  // when it was switched to (monotonic)
	leading bool
	held    store.Leadership // while leading
	dbErr   error
	leader  string
	since   time.Time
	// left is the leader's lease as the database said at leftAt (this
	// process's clock, used only to age it).
	left   time.Duration
	leftAt time.Time

	leaderGauge, dbGauge, genGauge prometheus.Gauge
}

// New returns a Replica; Run starts it.
func New(opts Options) (*Replica, error) {
	if opts.Store == nil || opts.Prepare == nil || opts.Lead == nil {
		return nil, errors.New("replica: Store, Prepare and Lead are required")
	}
	if opts.Settle == 0 {
		opts.Settle = DefaultSettle
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Replica{opts: opts, log: opts.Logger, pages: map[string]store.Page{}}
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

// Publish publishes a build of the leader. Each page whose bytes changed
// since the newest publication gets its Last-Modified decided
// (server.LastModified); the changed pages go to the store, which tells
// every replica; every replica, this one included, serves them at
// switchAt. It returns the publication's generation, and a zero switchAt
// when the build changed nothing. The pages are kept (the next build is
// compared with them): their bodies must not change afterwards. When the
// store refuses (the database is lost, or this replica no longer leads)
// nothing is served: the replicas must not part ways.
func (r *Replica) Publish(ctx context.Context, pages []store.Page) (gen int64, switchAt time.Time, err error) {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	now := r.opts.Now()
	next := make(map[string]store.Page, len(pages))
	var changed []store.Page
	for _, p := range pages {
		prev, ok := r.pages[p.Path]
		if ok && prev.MediaType == p.MediaType && bytes.Equal(prev.Body, p.Body) {
			p.Modified = prev.Modified
		} else {
			p.Modified = server.LastModified(p.Modified, prev.Modified, now)
			changed = append(changed, p)
		}
		next[p.Path] = p
	}
	gen = r.known()
	if len(changed) == 0 && len(next) == len(r.pages) && gen > 0 {
		return gen, time.Time{}, nil // the same publication
	}
	var topics []string
	if r.opts.Topics != nil && r.opts.Ping != nil {
		topics = r.opts.Topics(changed, r.pages)
	}
	gen, at, err := r.opts.Store.Publish(ctx, changed, sortedPaths(next), topics)
	if err != nil {
		return 0, time.Time{}, err
	}
	r.pages = next
	return gen, r.switchTo(gen, at), nil
}

// known is the newest publication this replica knows of.
func (r *Replica) known() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen
}

// Sync takes up the store's current publication if it is newer than the
// newest this replica knows, reading only the pages that changed since:
// it is served at its switch instant (at once if that has passed).
func (r *Replica) Sync(ctx context.Context) error {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	have := r.known()
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
	next := make(map[string]store.Page, len(pub.Paths))
	for _, p := range pub.Pages {
		next[p.Path] = p
	}
	for _, path := range pub.Paths {
		if _, ok := next[path]; !ok {
			p, ok := r.pages[path]
			if !ok || have == 0 {
				// Only a store that broke its contract gets here; asking
				// for everything again repairs it.
				r.mu.Lock()
				r.gen = 0
				r.mu.Unlock()
				return errors.New("publication lists a page it did not deliver")
			}
			next[path] = p
		}
	}
	r.pages = next
	r.switchTo(pub.Gen, pub.At)
	return nil
}

// switchover is a publication prepared and waiting for its instant.
type switchover struct {
	gen               int64
	activate, discard func()
	timer             *time.Timer
}

// switchTo prepares r.pages, publication gen committed at at, and serves
// it Settle after at: every replica switches at that instant. A
// publication still waiting is dropped, the newer one replaces it.
// r.pubMu is held.
func (r *Replica) switchTo(gen int64, at time.Time) (switchAt time.Time) {
	list := make([]store.Page, 0, len(r.pages))
	for _, path := range sortedPaths(r.pages) {
		list = append(list, r.pages[path])
	}
	sw := &switchover{gen: gen}
	promote := func() {
		if !r.pubMu.TryLock() {
			return // a publication is being read: it will switch in time
		}
		defer r.pubMu.Unlock()
		if r.pending == sw {
			r.activate(sw)
		}
	}
	sw.activate, sw.discard = r.opts.Prepare(list, promote)
	r.cancelSwitch()
	r.pending = sw
	r.mu.Lock()
	r.gen = gen
	r.mu.Unlock()
	now := r.opts.Now()
	switchAt = at.Add(r.opts.Settle)
	if r.opts.Settle < 0 || !switchAt.After(now) {
		r.activate(sw)
		return now
	}
	sw.timer = time.AfterFunc(switchAt.Sub(now), func() {
		r.pubMu.Lock()
		defer r.pubMu.Unlock()
		if r.pending == sw {
			r.activate(sw)
		}
	})
	return switchAt
}

// activate serves sw; r.pubMu is held.
func (r *Replica) activate(sw *switchover) {
	sw.activate()
	r.pending = nil
	r.mu.Lock()
	r.live, r.liveAt = sw.gen, time.Now()
	r.mu.Unlock()
	r.genGauge.Set(float64(sw.gen))
}

// cancelSwitch drops the publication waiting for its instant, if any;
// r.pubMu is held.
func (r *Replica) cancelSwitch() {
	if sw := r.pending; sw != nil {
		if sw.timer != nil {
			sw.timer.Stop()
		}
		sw.discard()
		r.pending = nil
	}
}

func sortedPaths(pages map[string]store.Page) []string {
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
		r.pubMu.Lock()
		r.cancelSwitch()
		r.pubMu.Unlock()
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
			if r.known() < gen {
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
		margin = DefaultHubMargin
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
