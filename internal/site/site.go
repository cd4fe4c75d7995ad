package site

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// Input is one source's articles as a build sees them.
type Input struct {
	Name string
	// Articles are the source's last good articles, normalized.
	Articles []feed.Article
	// Version changes whenever Articles do, so an unchanged source costs
	// no render.
	Version uint64
	// Collected reports that a collection of the source has finished,
	// successfully or not.
	Collected bool
	// OK reports that a collection of the source has returned articles
	// (maybe none); a feed none of whose sources is OK is not published
	// at all rather than published empty (the server answers 503).
	OK bool
}

// Options configures a Builder.
type Options struct {
	// FeedItems, if set, is told how many items each rendered feed has
	// (for metrics).
	FeedItems func(feed string, items int)
	// Archives, if set, keeps archive pages: feeds with a limit are
	// published with RFC 5005 archives. Without it a feed is its newest
	// Limit items, as before.
	Archives Archives
	// Lazy leaves article pages and full archive documents out of
	// builds: Page renders or reads them when asked, so memory does not
	// grow with history (serve). Article must be set with it.
	Lazy bool
	// Article returns the article whose Page is page (the store).
	Article func(ctx context.Context, page string) (feed.Article, bool, error)
}

// Builder renders the site, keeping the last renders so that a feed or
// an article page whose sources did not change is not rendered again. A
// new configuration takes a new Builder. Its methods are safe for
// concurrent use.
type Builder struct {
	site Site
	opts Options

	mu    sync.Mutex           // one build at a time, so builds are published in order
	feeds map[string]feedCache // by feed name
	pages map[string]pageCache // by source name
	full  map[string][]File    // full archive pages, by feed name; loaded once
	// last is the last build's feeds, which article pages link to.
	last atomic.Pointer[[]*feed.Feed]
}

type feedCache struct {
	versions []uint64
	files    []File
	feed     *feed.Feed
}

type pageCache struct {
	version uint64
	files   []File
}

// New returns a Builder for site.
func New(site Site, opts Options) *Builder {
	return &Builder{site: site, opts: opts, full: map[string][]File{}}
}

// Build renders the whole site from inputs at now: every feed in every
// format, the page of every local article, and index.html. If publish is
// not nil it is called with the result before Build returns, under the
// lock that orders builds, so concurrent collections publish their
// results in order.
func (b *Builder) Build(ctx context.Context, inputs []Input, now time.Time, publish func([]File)) ([]File, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	byName := make(map[string]*Input, len(inputs))
	for i := range inputs {
		byName[inputs[i].Name] = &inputs[i]
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
	if !b.opts.Lazy {
		pages, err := b.buildPages(inputs, feeds)
		if err != nil {
			return nil, err
		}
		files = append(files, pages...)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if publish != nil {
		publish(files)
	}
	return files, nil
}

// buildFeeds renders the feeds whose sources changed since the previous
// build and reuses the others. Feeds with max_age depend on the clock and
// are always rendered.
func (b *Builder) buildFeeds(ctx context.Context, inputs map[string]*Input, now time.Time) ([]File, []*feed.Feed, error) {
	var files []File
	feeds := make([]*feed.Feed, 0, len(b.site.Feeds))
	cache := make(map[string]feedCache, len(b.site.Feeds))
	for i := range b.site.Feeds {
		spec := &b.site.Feeds[i]
		if !anyOK(inputs, spec.Sources) {
			continue
		}
		versions := make([]uint64, len(spec.Sources))
		lists := make([][]feed.Article, len(spec.Sources))
		for j, name := range spec.Sources {
			if in := inputs[name]; in != nil {
				versions[j], lists[j] = in.Version, in.Articles
			}
		}
		c, ok := b.feeds[spec.Name]
		if !ok || spec.Filter.MaxAge > 0 || !slices.Equal(c.versions, versions) {
			var fs []File
			var fd *feed.Feed
			var err error
			if b.opts.Archives != nil && spec.Filter.Limit > 0 {
				fs, fd, err = b.buildArchived(ctx, spec, feed.Merge(lists...), now)
			} else {
				fs, fd, err = renderFeed(&b.site, spec, feed.Merge(lists...), now)
			}
			if err != nil {
				return nil, nil, err
			}
			c = feedCache{versions: versions, files: fs, feed: fd}
			if b.opts.FeedItems != nil {
				b.opts.FeedItems(spec.Name, len(fd.Items))
			}
		}
		cache[spec.Name] = c
		files = append(files, c.files...)
		files = append(files, b.full[spec.Name]...)
		feeds = append(feeds, c.feed)
	}
	b.feeds = cache
	return files, feeds, nil
}

// buildPages renders the article pages of each source whose articles
// changed since the previous build. (Their <head> lists the feeds, which
// only a new configuration, and so a new Builder, changes.) Two sources
// cannot share a page: the first one's stays.
func (b *Builder) buildPages(inputs []Input, feeds []*feed.Feed) ([]File, error) {
	var files []File
	seen := map[string]bool{}
	cache := make(map[string]pageCache, len(inputs))
	for _, in := range inputs {
		c, ok := b.pages[in.Name]
		if !ok || c.version != in.Version {
			var pages []*feed.Article
			for i := range in.Articles {
				if a := &in.Articles[i]; a.Page != "" {
					pages = append(pages, a)
				}
			}
			rendered, err := renderPages(&b.site, feeds, pages)
			if err != nil {
				return nil, err
			}
			c = pageCache{version: in.Version, files: rendered}
		}
		cache[in.Name] = c
		for _, f := range c.files {
			if !seen[f.Path] {
				seen[f.Path] = true
				files = append(files, f)
			}
		}
	}
	b.pages = cache
	return files, nil
}

func anyOK(inputs map[string]*Input, names []string) bool {
	for _, n := range names {
		if in := inputs[n]; in != nil && in.OK {
			return true
		}
	}
	return false
}

// Follow makes the pages Page renders link to the feeds of a site this
// Builder did not build: paths are those of a publication (a replica
// serves what its leader built). The article pages' <head> lists the
// published feeds by name and title, as the leader's do.
func (b *Builder) Follow(paths []string) {
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

// Page returns what a Lazy build left out: the page of an article or a
// full archive document at path; ok is false when there is none. It is
// safe to call concurrently with Build.
func (b *Builder) Page(ctx context.Context, path string) (File, bool, error) {
	switch {
	case strings.HasPrefix(path, "archive/") && b.opts.Archives != nil:
		return b.opts.Archives.Doc(ctx, path)
	case strings.HasPrefix(path, "articles/") && b.opts.Article != nil:
		a, ok, err := b.opts.Article(ctx, path)
		if err != nil || !ok {
			return File{}, false, err
		}
		var feeds []*feed.Feed
		if p := b.last.Load(); p != nil {
			feeds = *p
		}
		files, err := renderPages(&b.site, feeds, []*feed.Article{&a})
		if err != nil {
			return File{}, false, err
		}
		return files[0], true, nil
	}
	return File{}, false, nil
}
