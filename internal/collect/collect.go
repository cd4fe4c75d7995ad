package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// Status is one source's collection state.
type Status struct {
	Name        string    `json:"name"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Items       int       `json:"items"`
	Running     bool      `json:"-"`
}

// Entry is a source with the key its Record is stored under. The key must
// change whenever anything the source's output or state depends on does:
// the caller derives it from the source's configuration.
type Entry struct {
	Source sources.Source
	Key    string
}

// Options configures a Collector.
type Options struct {
	Sources []Entry
	// Store keeps each source's Record; default a new Memory.
	Store  Store
	Logger *slog.Logger
	// Metrics records collections; nil means unregistered metrics.
	Metrics *Metrics
	// Timeout bounds one collection of one source; default 5 minutes.
	Timeout time.Duration
	// Now is the clock, a seam for tests; default time.Now.
	Now func() time.Time
}

// Collector runs sources and keeps, per source, its state, its last good
// articles and its status. Its methods are safe for concurrent use.
type Collector struct {
	entries map[string]Entry
	order   []string
	store   Store
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time
	metrics *Metrics

	mu   sync.Mutex // guards kept
	kept map[string]*kept
}

// kept is a source's Record as the collector works with it.
type kept struct {
	rec       Record
	version   uint64 // bumped whenever rec.Articles change
	collected bool   // a collection has finished, successfully or not
	ok        bool   // a collection has returned articles (maybe none)
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
		kept:    map[string]*kept{},
	}
	if c.store == nil {
		c.store = NewMemory()
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
		c.kept[name] = &kept{rec: Record{Status: Status{Name: name}}}
	}
	return c, nil
}

// Restore takes up the records the store holds for the sources' keys: a
// source whose configuration did not change since they were saved keeps
// its state, articles and status; any other starts fresh.
func (c *Collector) Restore(ctx context.Context) error {
	for _, name := range c.order {
		rec, ok, err := c.store.Load(ctx, c.entries[name].Key)
		if err != nil {
			return fmt.Errorf("restoring %s: %w", name, err)
		}
		if !ok {
			continue
		}
		rec.Status.Name, rec.Status.Running = name, false
		c.mu.Lock()
		c.kept[name] = &kept{rec: rec, collected: !rec.Status.LastRun.IsZero(), ok: rec.Articles != nil || !rec.Status.LastSuccess.IsZero()}
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
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	res, err := collectSafely(ctx, e.Source, prev)
	cancel()
	if parent.Err() != nil {
		return c.cancelled(name, parent.Err())
	}
	var normalized []feed.Article
	if res.Articles != nil {
		normalized = feed.Normalize(res.Articles, feed.Options{Now: start})
	}
	elapsed := c.now().Sub(start)
	rec := c.finish(name, start, res.State, normalized, err)
	c.metrics.observe(name, result(err), elapsed, rec.Status.Items, start)
	serr := c.store.Save(context.WithoutCancel(ctx), e.Key, rec)

	log := c.log.With("source", name)
	switch {
	case errors.Is(err, sources.ErrBackoff):
		log.Info("skipped", "reason", err.Error())
		err = nil
	case err == nil:
		log.Info("collected", "count", len(rec.Articles), "duration", elapsed.Round(time.Millisecond).String())
	}
	if serr != nil {
		err = errors.Join(err, fmt.Errorf("saving state: %w", serr))
	}
	if err != nil {
		return &Error{Source: name, Err: err}
	}
	return nil
}

// begin marks name running and returns the state to collect it with.
func (c *Collector) begin(name string, start time.Time) sources.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.kept[name]
	k.rec.Status.Running, k.rec.Status.LastRun = true, start
	prev := k.rec.State
	if k.rec.Articles == nil {
		// Validators are worth sending only with the copy they validate.
		prev.Validators = sources.Validators{}
	}
	return prev
}

// finish keeps what a collection of name returned and returns the
// source's record as it now stands. Nil articles keep the last good ones;
// a backoff skip is no failure.
func (c *Collector) finish(name string, start time.Time, next sources.State, articles []feed.Article, err error) Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.kept[name]
	k.rec.Status.Running, k.collected = false, true
	k.ok = k.ok || articles != nil || err == nil
	k.rec.State = next
	if articles != nil && !sameArticles(k.rec.Articles, articles) {
		k.rec.Articles = articles
		k.version++
	}
	k.rec.Status.Items = len(k.rec.Articles)
	switch {
	case errors.Is(err, sources.ErrBackoff):
	case err != nil:
		k.rec.Status.LastFailure, k.rec.Status.LastError = start, err.Error()
	default:
		k.rec.Status.LastSuccess, k.rec.Status.LastError = start, ""
	}
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

// Snapshot is one source's last good articles at one moment.
type Snapshot struct {
	Name      string
	Articles  []feed.Article // normalized; shared, not to be modified
	Version   uint64         // changes whenever Articles do
	Collected bool           // a collection has finished
	OK        bool           // a collection has returned articles (maybe none)
}

// Snapshots returns every source's articles, in configuration order.
func (c *Collector) Snapshots() []Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Snapshot, 0, len(c.order))
	for _, name := range c.order {
		k := c.kept[name]
		out = append(out, Snapshot{Name: name, Articles: k.rec.Articles, Version: k.version, Collected: k.collected, OK: k.ok})
	}
	return out
}

// sameArticles reports whether two normalized lists would render alike,
// so an unchanged collection does not cost a render.
func sameArticles(a, b []feed.Article) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.ID != y.ID || x.URL != y.URL || x.Title != y.Title || x.Summary != y.Summary ||
			x.Content != y.Content || x.Author != y.Author || x.Page != y.Page ||
			!x.Published.Equal(y.Published) || !x.Updated.Equal(y.Updated) || !slices.Equal(x.Tags, y.Tags) ||
			!slices.Equal(x.Enclosures, y.Enclosures) {
			return false
		}
	}
	return true
}
