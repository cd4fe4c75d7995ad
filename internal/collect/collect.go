package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/sources"
)

// Entry is a source with the key its Record is stored under. The key must
// change whenever anything the source's output or state depends on does:
// the caller derives it from the source's configuration.
type Entry struct {
	Source sources.Source
	Key    string
	// Retention says which articles the source's history keeps.
	Retention store.Retention
	// Fresh is store.Collection.Fresh: how many of the source's newest
	// places an edit leaves where they are.
	Fresh int
}

// Options configures a Collector.
type Options struct {
	Sources []Entry
	// Store keeps each source's record and article history; default a
	// new store.Memory.
	Store  store.Store
	Logger *slog.Logger
	// Metrics records collections; nil means unregistered metrics.
	Metrics *Metrics
	// Timeout bounds one collection of one source; default 5 minutes.
	Timeout time.Duration
	// Now is the clock, a seam for tests; default time.Now.
	Now func() time.Time
	// Secrets keeps the operator's secrets out of every article (see
	// feed.Options) and out of the stored error of a failed collection;
	// nil keeps them as they are.
	Secrets feed.Secrets
}

// Collector runs sources and commits what each collection returns to the
// store's article log, with the source's next state and status; it keeps
// no articles itself (builds read the log). Its methods are safe for
// concurrent use.
type Collector struct {
	entries map[string]Entry
	order   []string
	store   store.Store
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time
	metrics *Metrics
	secrets feed.Secrets

	mu   sync.Mutex // guards kept
	kept map[string]*kept
}

// kept is a source's record as the collector works with it.
type kept struct {
	rec       store.Record
	held      bool // the store holds a history of the source
	collected bool // a collection has finished, or history was restored
	ok        bool // a collection has returned articles (maybe none), or history was restored
}

// Error is a failed collection: the source and what went wrong, named
// once each.
type Error struct {
	Source string
	Err    error
}

func (e *Error) Error() string { return "collecting " + e.Source + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New returns a Collector of opts.Sources. Call Restore before the first
// collection to take up what the store kept.
func New(opts Options) (*Collector, error) {
	c := &Collector{
		entries: map[string]Entry{},
		store:   opts.Store,
		log:     opts.Logger,
		timeout: opts.Timeout,
		now:     opts.Now,
		metrics: opts.Metrics,
		secrets: opts.Secrets,
		kept:    map[string]*kept{},
	}
	if c.store == nil {
		c.store = store.NewMemory()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Minute
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.metrics == nil {
		c.metrics, _ = NewMetrics(nil) // cannot fail without a registry
	}
	for _, e := range opts.Sources {
		name := e.Source.Name()
		if _, dup := c.entries[name]; dup {
			return nil, fmt.Errorf("source %q configured twice", name)
		}
		c.entries[name] = e
		c.order = append(c.order, name)
		c.kept[name] = &kept{rec: store.Record{Status: Status{Name: name}}}
	}
	return c, nil
}

// Restore takes up what the store holds: the record of each source
// whose configuration did not change since it was saved (state and
// status; any other starts fresh), and the size of every source's
// history (by name). A source with history counts as collected, so its
// feeds are served at once.
func (c *Collector) Restore(ctx context.Context) error {
	for _, name := range c.order {
		rec, ok, err := c.store.Load(ctx, c.entries[name].Key)
		if err != nil {
			return fmt.Errorf("restoring %s: %w", name, err)
		}
		if !ok {
			rec = store.Record{}
		}
		m, err := c.store.Mark(ctx, name)
		if err != nil {
			return fmt.Errorf("restoring %s: %w", name, err)
		}
		k := &kept{rec: rec, held: m.Count > 0, collected: !rec.Status.LastRun.IsZero() || m.Count > 0}
		k.rec.Status.Name, k.rec.Status.Running, k.rec.Status.Items = name, false, m.Count
		k.ok = m.Count > 0 || !rec.Status.LastSuccess.IsZero()
		c.mu.Lock()
		c.kept[name] = k
		c.mu.Unlock()
	}
	return nil
}

// LoadStatus reads every source's status from the store, without its
// articles or state: a replica that does not collect reports what the
// leader's collections did.
func (c *Collector) LoadStatus(ctx context.Context) error {
	for _, name := range c.order {
		rec, ok, err := c.store.Load(ctx, c.entries[name].Key)
		if err != nil {
			return fmt.Errorf("status of %s: %w", name, err)
		}
		if !ok {
			continue
		}
		c.mu.Lock()
		rec.Status.Name, rec.Status.Running = name, false
		c.kept[name].rec.Status = rec.Status
		c.mu.Unlock()
	}
	return nil
}

// CollectAll collects every source concurrently and returns the errors of
// those that failed, joined. The others' articles are kept either way.
func (c *Collector) CollectAll(ctx context.Context) error {
	errs := make([]error, len(c.order))
	var wg sync.WaitGroup
	for i, name := range c.order {
		wg.Go(func() { errs[i] = c.Collect(ctx, name) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Collect runs one source with the state its previous collection returned
// and keeps the next state and what it returns, normalized. When the
// source fails outright its last good articles stay; a partial result
// (articles and an error) replaces them. A panic in the source is
// recovered and returned as an error. A source backing off after failures
// is skipped: that is logged, not returned. A failure is returned as an
// *Error, not logged: the caller reports it once.
func (c *Collector) Collect(ctx context.Context, name string) error {
	e, ok := c.entries[name]
	if !ok {
		return &Error{Source: name, Err: errors.New("unknown source")}
	}
	start := c.now()
	prev := c.begin(name, start)
	var partErrs []error // of the parts committed before the last
	for {
		parent := ctx
		cctx, cancel := context.WithTimeout(ctx, c.timeout)
		res, err := collectSafely(cctx, e.Source, prev)
		cancel()
		if parent.Err() != nil {
			return c.cancelled(name, parent.Err())
		}
		var normalized []feed.Article
		if res.Articles != nil {
			// Only what the source read: its Kept articles are in the store
			// already, normalized.
			normalized = feed.Normalize(res.Articles, feed.Options{Now: start, Secrets: c.secrets})
			if normalized == nil {
				normalized = []feed.Article{}
			}
		}
		items, serr := c.save(context.WithoutCancel(ctx), e, start, res, normalized, err)
		if res.More && serr == nil && (err == nil || res.Articles != nil) {
			// A bounded part of a large change (a cold import) is
			// committed: the source goes on from the state saved with it,
			// and an interruption keeps what was committed.
			c.log.Info("collected part", "source", name, "count", items)
			prev = res.State
			c.progress(name, res.State, items)
			if err != nil {
				partErrs = append(partErrs, err) // a file unreadable: the rest still goes on
			}
			continue
		}
		err = errors.Join(append(partErrs, err)...)
		elapsed := c.now().Sub(start)
		rec := c.finish(name, start, res.State, items, normalized != nil, err, serr)
		c.metrics.observe(name, result(err), elapsed, rec.Status.Items, start)

		log := c.log.With("source", name)
		switch {
		case errors.Is(err, sources.ErrBackoff):
			log.Info("skipped", "reason", err.Error())
			err = nil
		case err == nil:
			log.Info("collected", "count", rec.Status.Items, "duration", elapsed.Round(time.Millisecond).String())
		}
		if serr != nil {
			err = errors.Join(err, fmt.Errorf("saving: %w", serr))
		}
		if err != nil {
			return &Error{Source: name, Err: err}
		}
		return nil
	}
}

// progress keeps what a committed part of a collection of name left: the
// next state, and that the store holds its history.
func (c *Collector) progress(name string, next sources.State, items int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.kept[name]
	k.rec.State = next
	k.rec.State.Resume = nil // the collection's own: only its next part uses it
	k.held = k.held || items > 0
	k.rec.Status.Items = items
}

// begin marks name running and returns the state to collect it with.
func (c *Collector) begin(name string, start time.Time) sources.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.kept[name]
	k.rec.Status.Running, k.rec.Status.LastRun = true, start
	prev := k.rec.State
	prev.Resume = nil // a new collection starts from what was committed
	if !k.held {
		// Validators and file stamps are worth sending only with the copy
		// they validate.
		prev.Validators, prev.Files = sources.Validators{}, nil
	}
	return prev
}

// save commits one collection (its state, the status it leads to, its
// articles) in one transaction and returns the number of articles the
// source's history holds now.
func (c *Collector) save(ctx context.Context, e Entry, start time.Time, res sources.Result, normalized []feed.Article, err error) (int, error) {
	name := e.Source.Name()
	c.mu.Lock()
	rec := c.kept[name].rec
	c.mu.Unlock()
	rec.State = res.State
	rec.State.Resume = nil // never stored: the source's, for its next part only
	rec.Status = c.status(rec.Status, start, err)
	rec.Status.Running = false
	_, serr := c.store.Save(ctx, store.Collection{
		Key: e.Key, Source: name, Record: rec, Articles: normalized, Kept: res.Kept, Now: start,
		Retention: e.Retention, Fresh: e.Fresh,
	})
	if serr != nil {
		return 0, serr
	}
	// Another process on the same store (a generate beside serve) may
	// have committed to this history too: the count is the store's.
	m, serr := c.store.Mark(ctx, name)
	if serr != nil {
		return 0, serr
	}
	return m.Count, nil
}

// status is st after a collection started at start ended with err; a
// backoff skip is no failure.
func (c *Collector) status(st Status, start time.Time, err error) Status {
	switch {
	case errors.Is(err, sources.ErrBackoff):
	case err != nil:
		st.LastFailure, st.LastError = start, err.Error()
		if c.secrets != nil {
			st.LastError = c.secrets.PublicText(st.LastError)
		}
	default:
		st.LastSuccess, st.LastError = start, ""
	}
	return st
}

// finish keeps what a collection of name returned and returns the
// source's record as it now stands. When saving failed, the previous
// state stays, so the next collection does not send validators for
// articles the store does not hold.
func (c *Collector) finish(name string, start time.Time, next sources.State, items int, returned bool, err, serr error) store.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.kept[name]
	k.rec.Status.Running, k.collected = false, true
	k.ok = k.ok || returned || err == nil
	if serr == nil {
		k.rec.State = next
		k.rec.State.Resume = nil
		k.rec.Status.Items = items
		k.held = k.held || items > 0 || returned
	}
	k.rec.Status = c.status(k.rec.Status, start, errors.Join(err, serr))
	return k.rec
}

func result(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, sources.ErrBackoff):
		return "skipped"
	}
	return "failure"
}

func collectSafely(ctx context.Context, src sources.Source, prev sources.State) (res sources.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = sources.Result{State: prev}, fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return src.Collect(ctx, prev)
}

// Status reports every source, in configuration order.
func (c *Collector) Status() []Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Status, 0, len(c.order))
	for _, name := range c.order {
		out = append(out, c.kept[name].rec.Status)
	}
	return out
}

// Snapshot is one source's collection state at one moment.
type Snapshot struct {
	Name      string
	Collected bool // a collection has finished
	OK        bool // a collection has returned articles (maybe none)
}

// Snapshots returns every source's state, in configuration order.
func (c *Collector) Snapshots() []Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Snapshot, 0, len(c.order))
	for _, name := range c.order {
		k := c.kept[name]
		out = append(out, Snapshot{Name: name, Collected: k.collected, OK: k.ok})
	}
	return out
}
