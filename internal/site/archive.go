package site

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// Archives keeps the feeds' archive bookkeeping between builds (the
// store). Page 0 is the head: the articles the feed itself carried at the
// last build. A feed's archive is RFC 5005's: its head document carries the
// newest Limit items not yet archived; an item that leaves the head is
// put on the open archive page for good (pages are filled in the order
// items leave, oldest first); a page that holds Limit items is full, is
// rendered once and never changes again. So every item is in exactly one
// document, found by following prev-archive from the head.
type Archives interface {
	// Archive returns the page of each archived item of feed (0: in the
	// head), by ID, and the number of full pages.
	Archive(ctx context.Context, feed string) (pages map[string]int, full int, err error)
	// SaveArchive records new page assignments and the documents of the
	// pages that filled (by page), atomically.
	SaveArchive(ctx context.Context, feed string, add map[string]int, full map[int][]File) error
	// PageArticles returns the articles on page of feed, newest first.
	PageArticles(ctx context.Context, feed string, page int) ([]feed.Article, error)
	// Full returns the documents of feed's full pages.
	Full(ctx context.Context, feed string) ([]File, error)
	// Doc returns the full page document at path; ok is false when there
	// is none.
	Doc(ctx context.Context, path string) (f File, ok bool, err error)
}

// buildArchived renders a feed with archives: the head, the open page,
// and the pages that fill now (stored through b.opts.Archives). It
// returns the head's and the open page's files; the full pages' files are
// kept in b.full.
func (b *Builder) buildArchived(ctx context.Context, spec *FeedSpec, merged []feed.Article, now time.Time) ([]File, *feed.Feed, error) {
	arch := b.opts.Archives
	if _, ok := b.full[spec.Name]; !ok && !b.opts.Lazy {
		docs, err := arch.Full(ctx, spec.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("archive of %s: %w", spec.Name, err)
		}
		b.full[spec.Name] = docs
	}
	pages, full, err := arch.Archive(ctx, spec.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("archive of %s: %w", spec.Name, err)
	}
	size := spec.Filter.Limit
	// The previous head is kept as page 0: its articles may have left the
	// window the collector holds (many newer ones arrived at once), and
	// must still go to an archive page when they leave the head.
	prevHead, err := arch.PageArticles(ctx, spec.Name, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("archive of %s: %w", spec.Name, err)
	}
	// Only of the feed's current sources: its configuration may have
	// changed since.
	prevHead = slices.DeleteFunc(prevHead, func(a feed.Article) bool { return !slices.Contains(spec.Sources, a.Source) })
	filter := feed.Filter{Include: spec.Filter.Include, Exclude: spec.Filter.Exclude}
	all := feed.Merge(filter.Apply(merged, now), filter.Apply(prevHead, now))
	var live []feed.Article
	for _, a := range all {
		if p, ok := pages[a.ID]; !ok || p == 0 {
			live = append(live, a)
		}
	}
	head := feed.Filter{MaxAge: spec.Filter.MaxAge, Limit: size}.Apply(live, now)
	inHead := make(map[string]bool, len(head))
	add := map[string]int{}
	for _, a := range head {
		inHead[a.ID] = true
		if p, ok := pages[a.ID]; !ok || p != 0 {
			add[a.ID] = 0
		}
	}
	open := full + 1
	count := 0
	for _, p := range pages {
		if p == open {
			count++
		}
	}
	// The open page's articles come from the store, not from merged:
	// the collector holds only the newest of each source.
	onOpen, err := arch.PageArticles(ctx, spec.Name, open)
	if err != nil {
		return nil, nil, fmt.Errorf("archive of %s: %w", spec.Name, err)
	}
	filled := map[int][]File{}
	// Items leave oldest first: all is newest first.
	for i := len(live) - 1; i >= 0; i-- {
		a := &live[i]
		if inHead[a.ID] {
			continue
		}
		pages[a.ID], add[a.ID] = open, open
		onOpen = append(onOpen, *a)
		if count++; count < size {
			continue
		}
		fs, _, err := renderDoc(&b.site, spec, feed.Merge(onOpen), open, open-1)
		if err != nil {
			return nil, nil, err
		}
		filled[open] = fs
		open, count, onOpen = open+1, 0, nil
	}
	if len(add) > 0 {
		if err := arch.SaveArchive(ctx, spec.Name, add, filled); err != nil {
			return nil, nil, fmt.Errorf("archive of %s: %w", spec.Name, err)
		}
		for p := full + 1; p < open && !b.opts.Lazy; p++ {
			b.full[spec.Name] = append(b.full[spec.Name], filled[p]...)
		}
	}
	var files []File
	prev := open - 1
	if len(onOpen) > 0 {
		fs, _, err := renderDoc(&b.site, spec, feed.Merge(onOpen), open, open-1)
		if err != nil {
			return nil, nil, err
		}
		files, prev = fs, open
	}
	fs, fd, err := renderDoc(&b.site, spec, head, 0, prev)
	if err != nil {
		return nil, nil, err
	}
	return append(fs, files...), fd, nil
}
