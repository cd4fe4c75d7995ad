package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// Status is one source's collection state.
type Status struct {
	Name        string
	LastRun     time.Time
	LastSuccess time.Time
	LastFailure time.Time
	LastError   string
	Items       int
	Running     bool
}

// Options configures a Publisher.
type Options struct {
	Site    Site
	Sources []sources.Source
	Logger  *slog.Logger
	// Metrics records collections; nil means unregistered metrics.
	Metrics *Metrics
	// Timeout bounds one collection of one source; default 5 minutes.
	Timeout time.Duration
	// Now is the clock, a seam for tests; default time.Now.
	Now func() time.Time
}

// Publisher collects sources and renders the site from each source's
// last good articles. Its methods are safe for concurrent use.
type Publisher struct {
	site    Site
	sources map[string]sources.Source
	order   []string
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time
	metrics *Metrics

	mu    sync.Mutex // guards state
	state map[string]*sourceState

	buildMu sync.Mutex           // one build at a time, so builds are published in order
	cache   map[string]feedCache // by feed name
	pages   map[string]pageCache // by source name
}

type pageCache struct {
	version uint64
	files   []File
}

type sourceState struct {
	status   Status
	articles []feed.Article // last good, normalized
	version  uint64         // bumped whenever articles change
	done     bool           // a collection has finished, successfully or not
	ok       bool           // a collection has returned articles (maybe none)
}

type feedCache struct {
	versions []uint64
	files    []File
	feed     *feed.Feed
}

// New returns a Publisher for the site, collecting from srcs.
func New(opts Options) (*Publisher, error) {
	p := &Publisher{
		site:    opts.Site,
		sources: map[string]sources.Source{},
		log:     opts.Logger,
		timeout: opts.Timeout,
		now:     opts.Now,
		state:   map[string]*sourceState{},
		cache:   map[string]feedCache{},
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.timeout <= 0 {
		p.timeout = 5 * time.Minute
	}
	if p.now == nil {
		p.now = time.Now
	}
	for _, s := range opts.Sources {
		name := s.Name()
		if _, dup := p.sources[name]; dup {
			return nil, fmt.Errorf("source %q configured twice", name)
		}
		p.sources[name] = s
		p.order = append(p.order, name)
		p.state[name] = &sourceState{status: Status{Name: name}}
	}
	for _, fs := range p.site.Feeds {
		for _, name := range fs.Sources {
			if _, ok := p.sources[name]; !ok {
				return nil, fmt.Errorf("feed %q: unknown source %q", fs.Name, name)
			}
		}
	}
	p.metrics = opts.Metrics
	if p.metrics == nil {
		p.metrics, _ = NewMetrics(nil) // cannot fail without a registry
	}
	return p, nil
}

// Sources returns the names of the sources, in configuration order.
func (p *Publisher) Sources() []string { return append([]string(nil), p.order...) }

// CollectAll collects every source concurrently and returns the errors of
// those that failed, joined. The others' articles are kept either way.
func (p *Publisher) CollectAll(ctx context.Context) error {
	errs := make([]error, len(p.order))
	var wg sync.WaitGroup
	for i, name := range p.order {
		wg.Go(func() { errs[i] = p.Collect(ctx, name) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Collect runs one source and keeps what it returns, normalized. When the
// source fails outright its last good articles stay; a partial result
// (articles and an error) replaces them. A panic in the source is
// recovered and returned as an error. The error, if any, names the source.
func (p *Publisher) Collect(ctx context.Context, name string) (err error) {
	src, ok := p.sources[name]
	if !ok {
		return fmt.Errorf("collecting %s: unknown source", name)
	}
	start := p.now()
	p.update(name, func(st *sourceState) { st.status.Running, st.status.LastRun = true, start })

	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	articles, err := collectSafely(ctx, src)
	if parent.Err() != nil {
		return p.cancelled(name, parent.Err())
	}
	var normalized []feed.Article
	if articles != nil {
		normalized = feed.Normalize(articles, feed.Options{Now: start})
	}
	elapsed := p.now().Sub(start)

	p.update(name, func(st *sourceState) {
		st.status.Running, st.done = false, true
		st.ok = st.ok || articles != nil || err == nil
		if articles != nil {
			if !sameArticles(st.articles, normalized) {
				st.articles = normalized
				st.version++
			}
			st.status.Items = len(st.articles)
		}
		if err != nil {
			st.status.LastFailure, st.status.LastError = start, err.Error()
		} else {
			st.status.LastSuccess, st.status.LastError = start, ""
		}
	})
	p.metrics.observe(name, err, elapsed, p.items(name), start)

	log := p.log.With("source", name, "duration", elapsed.Round(time.Millisecond))
	if err != nil {
		log.Error("collection failed", "count", len(articles), "error", err)
		return fmt.Errorf("collecting %s: %w", name, err)
	}
	log.Info("collected", "count", len(normalized))
	return nil
}

func collectSafely(ctx context.Context, src sources.Source) (articles []feed.Article, err error) {
	defer func() {
		if v := recover(); v != nil {
			articles, err = nil, fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return src.Collect(ctx)
}

func (p *Publisher) update(name string, fn func(*sourceState)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p.state[name])
}

func (p *Publisher) items(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.state[name].articles)
}

// Status reports every source, in configuration order.
func (p *Publisher) Status() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Status, 0, len(p.order))
	for _, name := range p.order {
		out = append(out, p.state[name].status)
	}
	return out
}

// Build renders the whole site from the sources' last good articles:
// every feed in every format, the page of every local article, and
// index.html. Feeds whose sources have not changed since the previous
// Build are not rendered again. If publish is not nil it is called with
// the result before Build returns, under the lock that orders builds, so
// concurrent collections publish their results in order.
func (p *Publisher) Build(publish func([]File)) ([]File, error) {
	p.buildMu.Lock()
	defer p.buildMu.Unlock()
	now := p.now()

	p.mu.Lock()
	snap := make(map[string]sourceState, len(p.state))
	for name, st := range p.state {
		snap[name] = sourceState{articles: st.articles, version: st.version, done: st.done, ok: st.ok}
	}
	p.mu.Unlock()

	var files []File
	feeds := make([]*feed.Feed, 0, len(p.site.Feeds))
	cache := make(map[string]feedCache, len(p.site.Feeds))
	for i := range p.site.Feeds {
		spec := &p.site.Feeds[i]
		if !anyOK(snap, spec.Sources) {
			// Until one of its sources has returned articles, a feed is
			// not published at all rather than published empty.
			continue
		}
		versions := make([]uint64, len(spec.Sources))
		lists := make([][]feed.Article, len(spec.Sources))
		for j, name := range spec.Sources {
			versions[j], lists[j] = snap[name].version, snap[name].articles
		}
		c, ok := p.cache[spec.Name]
		// max_age depends on the clock, so such feeds are always rebuilt.
		if !ok || spec.Filter.MaxAge > 0 || !slices.Equal(c.versions, versions) {
			fs, fd, err := renderFeed(&p.site, spec, feed.Merge(lists...), now)
			if err != nil {
				return nil, err
			}
			c = feedCache{versions: versions, files: fs, feed: fd}
			p.metrics.feedItems.WithLabelValues(spec.Name).Set(float64(len(fd.Items)))
		}
		cache[spec.Name] = c
		files = append(files, c.files...)
		feeds = append(feeds, c.feed)
	}
	p.cache = cache

	index, err := renderIndex(&p.site, feeds)
	if err != nil {
		return nil, err
	}
	files = append(files, index)

	// Article pages, per source, rendered again only when the source's
	// articles changed (their <head> lists the feeds, which only a new
	// configuration, and so a new Publisher, changes).
	seen := map[string]bool{}
	pagesBySource := make(map[string]pageCache, len(p.order))
	for _, name := range p.order {
		st := snap[name]
		c, ok := p.pages[name]
		if !ok || c.version != st.version {
			var pages []*feed.Article
			for i := range st.articles {
				if a := &st.articles[i]; a.Page != "" {
					pages = append(pages, a)
				}
			}
			rendered, err := renderPages(&p.site, feeds, pages)
			if err != nil {
				return nil, err
			}
			c = pageCache{version: st.version, files: rendered}
		}
		pagesBySource[name] = c
		for _, f := range c.files {
			if !seen[f.Path] { // two sources cannot share a page
				seen[f.Path] = true
				files = append(files, f)
			}
		}
	}
	p.pages = pagesBySource
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if publish != nil {
		publish(files)
	}
	return files, nil
}

func anyOK(snap map[string]sourceState, names []string) bool {
	for _, n := range names {
		if snap[n].ok {
			return true
		}
	}
	return false
}

// Adopt takes over the last good articles of old's sources that p has
// too (by name), so a reloaded configuration keeps serving them until its
// own first collection.
func (p *Publisher) Adopt(old *Publisher) {
	old.mu.Lock()
	defer old.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, st := range p.state {
		if o, ok := old.state[name]; ok {
			st.articles, st.version, st.done, st.ok = o.articles, o.version, o.done, o.ok
			st.status = o.status
			st.status.Running = false
		}
	}
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
