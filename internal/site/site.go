package site

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// Input is one source as a build sees it: whether it has been collected.
// Its articles are read from the log.
type Input struct {
	Name string
	// Collected reports that a collection of the source has finished,
	// successfully or not.
	Collected bool
	// OK reports that a collection of the source has returned articles
	// (maybe none), or that its history holds some; a feed none of whose
	// sources is OK is not published at all rather than published empty
	// (the server answers 503).
	OK bool
}

// Options configures a Builder.
type Options struct {
	// Log is the article log the site is derived from (the store).
	Log Log
	// FeedItems, if set, is told how many items each rendered feed has
	// (for metrics).
	FeedItems func(feed string, items int)
}

// Builder derives the site from the log: Build renders what changes
// with each collection (feed heads, open archive pages, index, feed pages,
// OPML), Page renders one of the rest when asked (full archive pages,
// article pages: `herald serve`) and Rest renders all of them (`herald
// generate`). It keeps the last build's derivation, so a feed whose
// sources did not change is not rendered again. A new configuration takes
// a new Builder. Its methods are safe for concurrent use.
type Builder struct {
	site Site
	opts Options
	log  Log

	mu      sync.Mutex            // one build at a time, so builds are published in order
	sources map[string]*sourceLog // by source name
	feeds   map[string]*feedCache // by feed name
	// looked are the layouts Page derived, by feed name (a replica that
	// follows derives its own).
	looked map[string]*feedCache
	// last is the last build's feeds, which article pages link to.
	last atomic.Pointer[[]*feed.Feed]
	// followed is the state of the log the publication served was built
	// from (Follow), nil when Page may render the log as it stands.
	followed atomic.Pointer[store.Revs]
}

type feedCache struct {
	revs   []int64 // of the sources, at the last render
	layout *layout
	files  []feed.File
	feed   *feed.Feed
	match  map[matchKey]bool // filter verdicts, for a Filtered feed
}

// New returns a Builder for site.
func New(site Site, opts Options) *Builder {
	return &Builder{site: site, opts: opts, log: opts.Log, sources: map[string]*sourceLog{}, feeds: map[string]*feedCache{},
		looked: map[string]*feedCache{}}
}

// Build renders the feeds' head documents and open archive pages, the
// feed pages, index.html and feeds.opml from the log at now. If publish
// is not nil it is called with the result and the state of the log it
// was rendered from before Build returns, under the lock that orders
// builds, so concurrent collections publish their results in order.
func (b *Builder) Build(ctx context.Context, inputs []Input, now time.Time, publish func([]feed.File, store.Revs)) ([]feed.File, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	byName := make(map[string]*Input, len(inputs))
	for i := range inputs {
		byName[inputs[i].Name] = &inputs[i]
	}
	var names []string
	for _, spec := range b.site.Feeds {
		names = append(names, spec.Sources...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if err := b.refresh(ctx, names); err != nil {
		return nil, err
	}
	files, feeds, err := b.buildFeeds(ctx, byName, now)
	if err != nil {
		return nil, err
	}
	index, err := renderIndex(&b.site, feeds)
	if err != nil {
		return nil, err
	}
	files = append(files, index)
	for _, fd := range feeds {
		page, err := renderFeedPage(&b.site, fd)
		if err != nil {
			return nil, err
		}
		files = append(files, page)
	}
	opml, err := renderOPML(&b.site, feeds)
	if err != nil {
		return nil, err
	}
	files = append(files, opml)
	files = append(files, staticFiles...)
	b.last.Store(&feeds)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if publish != nil {
		revs := make(store.Revs, len(names))
		for _, name := range names {
			revs[name] = b.sources[name].rev
		}
		publish(files, revs)
	}
	return files, nil
}

// buildFeeds renders the feeds whose sources changed since the previous
// build and reuses the others. Feeds with max_age depend on the clock and
// are always rendered.
func (b *Builder) buildFeeds(ctx context.Context, inputs map[string]*Input, now time.Time) ([]feed.File, []*feed.Feed, error) {
	var files []feed.File
	feeds := make([]*feed.Feed, 0, len(b.site.Feeds))
	cache := make(map[string]*feedCache, len(b.site.Feeds))
	for i := range b.site.Feeds {
		spec := &b.site.Feeds[i]
		if !anyOK(inputs, spec.Sources) {
			continue
		}
		revs := make([]int64, len(spec.Sources))
		for j, name := range spec.Sources {
			if sl := b.sources[name]; sl != nil {
				revs[j] = sl.rev
			}
		}
		c := b.feeds[spec.Name]
		if c == nil || spec.Filter.MaxAge > 0 || !slices.Equal(c.revs, revs) {
			next := &feedCache{revs: revs, match: map[matchKey]bool{}}
			if c != nil {
				next.match = c.match
			}
			l, err := b.layoutOf(ctx, spec, next.match)
			if err != nil {
				return nil, nil, err
			}
			fs, fd, err := b.buildFeed(ctx, spec, l, now)
			if err != nil {
				return nil, nil, err
			}
			next.layout, next.files, next.feed = l, fs, fd
			c = next
			if b.opts.FeedItems != nil {
				b.opts.FeedItems(spec.Name, len(fd.Items))
			}
		}
		cache[spec.Name] = c
		files = append(files, c.files...)
		feeds = append(feeds, c.feed)
	}
	b.feeds = cache
	return files, feeds, nil
}

func anyOK(inputs map[string]*Input, names []string) bool {
	for _, n := range names {
		if in := inputs[n]; in != nil && in.OK {
			return true
		}
	}
	return false
}

// ErrAhead is Page's answer when the log moved past the publication it
// follows: the page as the log stands may belong to the next one, which
// is not served yet.
var ErrAhead = errors.New("the log moved past the publication served")

// Follow makes Page render for a publication: paths are its paths (which
// article pages link to: a replica serves what its leader built), revs
// the state of the log it was built from, which Page keeps to (ErrAhead).
// The article pages' <head> lists the published feeds by name and title,
// as the leader's do.
func (b *Builder) Follow(paths []string, revs store.Revs) {
	b.followed.Store(&revs)
	have := make(map[string]bool, len(paths))
	for _, p := range paths {
		have[p] = true
	}
	feeds := []*feed.Feed{}
	for i := range b.site.Feeds {
		spec := &b.site.Feeds[i]
		if have[spec.Name+feed.Formats[0].Ext] {
			feeds = append(feeds, &feed.Feed{Name: spec.Name, Title: spec.Title, Description: spec.Description})
		}
	}
	b.last.Store(&feeds)
}

// Page renders what Build leaves out: a full archive document or the
// page of an article at path, from the log; ok is false when there is
// none. After Follow it renders the state of the log the publication was
// built from, and returns ErrAhead when one of the sources the page
// derives from changed since (the next publication is on its way). It is
// safe to call concurrently with Build.
func (b *Builder) Page(ctx context.Context, path string) (feed.File, bool, error) {
	f, sources, ok, err := b.page(ctx, path)
	p := b.followed.Load()
	if err != nil || p == nil {
		return f, ok, err
	}
	if !ok {
		// None now; the publication may have had it (retention removed
		// it since) if any source moved.
		sources = slices.Sorted(maps.Keys(*p))
	}
	// Read after the page: if no source moved past the publication by
	// now, every read of the page saw its state.
	for _, name := range sources {
		m, err := b.log.Mark(ctx, name)
		if err != nil {
			return feed.File{}, false, fmt.Errorf("reading the log of %s: %w", name, err)
		}
		if m.Rev != (*p)[name] {
			return feed.File{}, false, ErrAhead
		}
	}
	return f, ok, nil
}

// PageLatest is Page from the log as it stands, whatever publication is
// followed.
func (b *Builder) PageLatest(ctx context.Context, path string) (feed.File, bool, error) {
	f, _, ok, err := b.page(ctx, path)
	return f, ok, err
}

// page renders the page at path and names the sources it derives from.
func (b *Builder) page(ctx context.Context, path string) (feed.File, []string, bool, error) {
	f, ok, err := b.render(ctx, path)
	if err != nil || !ok {
		return feed.File{}, nil, ok, err
	}
	if name, _, _, ok := parseArchivePath(path); ok {
		return f, b.spec(name).Sources, true, nil
	}
	return f, []string{f.Source}, true, nil
}

func (b *Builder) render(ctx context.Context, path string) (feed.File, bool, error) {
	if name, k, format, ok := parseArchivePath(path); ok {
		spec := b.spec(name)
		if spec == nil {
			return feed.File{}, false, nil
		}
		l, err := b.layoutNow(ctx, spec)
		if err != nil {
			return feed.File{}, false, err
		}
		if full, _, _, _ := l.pages(spec.Filter.Limit); k > full {
			return feed.File{}, false, nil // the open page is in the build
		}
		files, err := b.fullPage(ctx, spec, l, k)
		if err != nil {
			return feed.File{}, false, err
		}
		for _, f := range files {
			if strings.HasSuffix(f.Path, format.Ext) {
				return f, true, nil
			}
		}
		return feed.File{}, false, nil
	}
	if !strings.HasPrefix(path, "articles/") {
		return feed.File{}, false, nil
	}
	a, ok, err := b.log.ArticleByPage(ctx, path)
	if err != nil || !ok {
		return feed.File{}, false, err
	}
	files, err := renderPages(&b.site, b.lastFeeds(), []*feed.Article{&a})
	if err != nil {
		return feed.File{}, false, err
	}
	return files[0], true, nil
}

func (b *Builder) lastFeeds() []*feed.Feed {
	if p := b.last.Load(); p != nil {
		return *p
	}
	return nil
}

// layoutNow is spec's layout as the log stands: the last build's when
// none of its sources changed since.
func (b *Builder) layoutNow(ctx context.Context, spec *FeedSpec) (*layout, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.refresh(ctx, spec.Sources); err != nil {
		return nil, err
	}
	revs := make([]int64, len(spec.Sources))
	for j, name := range spec.Sources {
		revs[j] = b.sources[name].rev
	}
	for _, c := range []*feedCache{b.feeds[spec.Name], b.looked[spec.Name]} {
		if c != nil && slices.Equal(c.revs, revs) {
			return c.layout, nil
		}
	}
	c := &feedCache{revs: revs, match: map[matchKey]bool{}}
	if prev := b.feeds[spec.Name]; prev != nil {
		c.match = prev.match
	}
	l, err := b.layoutOf(ctx, spec, c.match)
	if err != nil {
		return nil, err
	}
	c.layout = l
	b.looked[spec.Name] = c
	return l, nil
}

func (b *Builder) spec(name string) *FeedSpec {
	for i := range b.site.Feeds {
		if b.site.Feeds[i].Name == name {
			return &b.site.Feeds[i]
		}
	}
	return nil
}

// restBatch is how many places Rest reads at once.
const restBatch = 2000

// Rest renders, after a Build, everything Build leaves out: every full
// archive document of every feed and the page of every article of
// sources, and passes each file to yield as it is rendered, so memory
// does not grow with history. Of two articles with one page (two sources
// share it) the one at the earlier place is rendered.
func (b *Builder) Rest(ctx context.Context, sources []string, yield func(feed.File) error) error {
	b.mu.Lock()
	built := b.feeds
	b.mu.Unlock()
	for i := range b.site.Feeds {
		spec := &b.site.Feeds[i]
		c := built[spec.Name]
		if c == nil {
			continue // not published: none of its sources is OK
		}
		l := c.layout
		full, _, _, _ := l.pages(spec.Filter.Limit)
		for k := 1; k <= full; k++ {
			files, err := b.fullPage(ctx, spec, l, k)
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := yield(f); err != nil {
					return err
				}
			}
		}
	}
	b.mu.Lock()
	err := b.refresh(ctx, sources)
	top := b.maxSeq()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for from := int64(0); from <= top; from += restBatch {
		entries, err := b.log.Entries(ctx, sources, from, from+restBatch-1)
		if err != nil {
			return err
		}
		var pages []*feed.Article
		for i := range entries {
			if a := &entries[i].Article; a.Page != "" && !seen[a.Page] {
				seen[a.Page] = true
				pages = append(pages, a)
			}
		}
		files, err := renderPages(&b.site, b.lastFeeds(), pages)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := yield(f); err != nil {
				return err
			}
		}
	}
	return nil
}
