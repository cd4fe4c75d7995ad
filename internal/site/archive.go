package site

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
)

// Log is the article log a site is derived from: the store.
type Log interface {
	Slots(ctx context.Context, source string) ([]store.Slot, error)
	Entries(ctx context.Context, sources []string, from, to int64) ([]store.Entry, error)
	Mark(ctx context.Context, source string) (store.Mark, error)
	ArticleByPage(ctx context.Context, page string) (feed.Article, bool, error)
}

// A feed's documents are derived from the places of its sources' articles
// in the log (RFC 5005 archived feeds), nothing else:
//
//   - the feed's positions are its sources' places in sequence order: every
//     article, and every place an article left (store.Slot.Gone), so that
//     a removal or an edit moved to the head never shifts the positions
//     after it. A feed with include or exclude filters counts only the
//     articles that pass them (see Filtered);
//   - with N positions and the feed's limit L, archive page k (1 ≤ k ≤ F,
//     F = ⌊(N−L)/L⌋) holds positions [(k−1)L, kL): it is full and keeps
//     those positions for good, so its items can only leave it (an edit
//     moved to the head, a removal) and a cached copy is never missing
//     one. Page F+1, the open page, holds [FL, N−L) when that is not
//     empty; the head document holds the newest L positions;
//   - a document shows the articles at its positions (the first place of
//     an ID two sources share), newest first; the head also drops those
//     older than max_age.
//
// So every article is in exactly one document of the chain, whatever
// order collections committed in, whichever process built it.

// layout is one feed's positions.
type layout struct {
	seqs []int64 // the place at each position
	show []bool  // whether the article there is published
}

// pages returns how many full pages there are, and where the open page
// (if open) and the head begin.
func (l *layout) pages(limit int) (full int, openFrom, headFrom int, open bool) {
	n := len(l.seqs)
	if limit <= 0 || n <= limit {
		return 0, 0, 0, false
	}
	full = (n - limit) / limit
	openFrom, headFrom = full*limit, n-limit
	return full, openFrom, headFrom, headFrom > openFrom
}

// Filtered reports whether a feed's positions depend on its filters: a
// feed with include or exclude patterns counts only the articles that
// pass them, and no gone places (what a gone article said is not kept,
// so whether it passed is not known). In such a feed a removal or an
// edit moved to the head shifts the positions after it: its archive
// pages after that place change.
func (spec *FeedSpec) Filtered() bool {
	return len(spec.Filter.Include) > 0 || len(spec.Filter.Exclude) > 0
}

// sourceLog is a source's places as the Builder last read them.
type sourceLog struct {
	rev   int64
	slots []place
}

// place is a store.Slot as the Builder keeps it, without pointers (the
// garbage collector skips them) in 40 bytes rather than about 150: its ID
// and content hash as 64-bit hashes, which is all the derivation compares.
// (Two IDs of one feed colliding in 64 bits, which would hide the second
// article, is about one chance in 10^9 for a million articles.)
type place struct {
	seq, published int64
	id, hash       uint64
	gone           bool
}

func placeOf(s store.Slot) place {
	p := place{seq: s.Seq, gone: s.Gone, id: hash64(s.ID)}
	if !s.Gone {
		p.published, p.hash = s.Published.Unix(), hash64(s.Hash)
	}
	return p
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// refresh reads again the places of each source whose history changed
// since the last build (by its Mark), whichever process changed it.
func (b *Builder) refresh(ctx context.Context, names []string) error {
	for _, name := range names {
		m, err := b.log.Mark(ctx, name)
		if err != nil {
			return fmt.Errorf("reading the log of %s: %w", name, err)
		}
		if sl, ok := b.sources[name]; ok && sl.rev == m.Rev {
			continue
		}
		slots, err := b.log.Slots(ctx, name)
		if err != nil {
			return fmt.Errorf("reading the log of %s: %w", name, err)
		}
		places := make([]place, len(slots))
		for i, s := range slots {
			places[i] = placeOf(s)
		}
		b.sources[name] = &sourceLog{rev: m.Rev, slots: places}
	}
	return nil
}

// matchKey is an article's place and content: what a filter's verdict
// depends on.
type matchKey struct {
	seq  int64
	hash uint64
}

// layoutOf derives spec's positions from its sources' places.
func (b *Builder) layoutOf(ctx context.Context, spec *FeedSpec, cache map[matchKey]bool) (*layout, error) {
	var all []place
	for _, name := range spec.Sources {
		if sl := b.sources[name]; sl != nil {
			all = append(all, sl.slots...)
		}
	}
	slices.SortFunc(all, func(a, b place) int { return cmp.Compare(a.seq, b.seq) })
	filtered := spec.Filtered()
	if filtered {
		if err := b.match(ctx, spec, all, cache); err != nil {
			return nil, err
		}
	}
	l := &layout{seqs: make([]int64, 0, len(all)), show: make([]bool, 0, len(all))}
	seen := make(map[uint64]bool, len(all))
	for _, s := range all {
		if s.gone {
			if !filtered {
				l.seqs, l.show = append(l.seqs, s.seq), append(l.show, false)
			}
			continue
		}
		if filtered && !cache[matchKey{s.seq, s.hash}] {
			continue
		}
		l.seqs, l.show = append(l.seqs, s.seq), append(l.show, !seen[s.id])
		seen[s.id] = true
	}
	return l, nil
}

// matchBatch is how many places a filtered feed reads at once to judge
// the articles it has not judged yet: memory stays bounded on a first
// build over a large history.
const matchBatch = 1000

// match judges, with spec's include and exclude patterns, every article
// of slots not in cache yet, reading them from the log in batches, and
// drops from cache the verdicts of places no longer there.
func (b *Builder) match(ctx context.Context, spec *FeedSpec, slots []place, cache map[matchKey]bool) error {
	live := make(map[matchKey]bool, len(slots))
	var todo []int64
	hashes := map[int64]uint64{}
	for _, s := range slots {
		if s.gone {
			continue
		}
		k := matchKey{s.seq, s.hash}
		live[k] = true
		if _, ok := cache[k]; !ok {
			todo = append(todo, s.seq)
			hashes[s.seq] = s.hash
		}
	}
	for k := range cache {
		if !live[k] {
			delete(cache, k)
		}
	}
	filter := feed.Filter{Include: spec.Filter.Include, Exclude: spec.Filter.Exclude}
	for len(todo) > 0 {
		n := min(matchBatch, len(todo))
		entries, err := b.log.Entries(ctx, spec.Sources, todo[0], todo[n-1])
		if err != nil {
			return fmt.Errorf("reading the log of %s: %w", spec.Name, err)
		}
		for _, e := range entries {
			if h, ok := hashes[e.Seq]; ok {
				// The filter only matches here; the time is not used.
				cache[matchKey{e.Seq, h}] = len(filter.Apply([]feed.Article{e.Article}, time.Time{})) == 1
			}
		}
		todo = todo[n:]
	}
	return nil
}

// articles reads the published articles at positions [from, to) of l,
// newest first.
func (b *Builder) articles(ctx context.Context, spec *FeedSpec, l *layout, from, to int) ([]feed.Article, error) {
	if from >= to {
		return nil, nil
	}
	shown := make(map[int64]bool, to-from)
	for i := from; i < to; i++ {
		if l.show[i] {
			shown[l.seqs[i]] = true
		}
	}
	if len(shown) == 0 {
		return nil, nil
	}
	entries, err := b.log.Entries(ctx, spec.Sources, l.seqs[from], l.seqs[to-1])
	if err != nil {
		return nil, fmt.Errorf("reading the log of %s: %w", spec.Name, err)
	}
	out := make([]feed.Article, 0, len(shown))
	for _, e := range entries {
		if shown[e.Seq] {
			out = append(out, e.Article)
			delete(shown, e.Seq) // an article edited meanwhile is read once
		}
	}
	return feed.Merge(out), nil
}

// buildFeed renders spec's head document and its open archive page from
// layout l.
func (b *Builder) buildFeed(ctx context.Context, spec *FeedSpec, l *layout, now time.Time) ([]feed.File, *feed.Feed, error) {
	limit := spec.Filter.Limit
	if limit <= 0 {
		items, err := b.articles(ctx, spec, l, 0, len(l.seqs))
		if err != nil {
			return nil, nil, err
		}
		return renderDoc(&b.site, spec, feed.Filter{MaxAge: spec.Filter.MaxAge}.Apply(items, now), 0, 0)
	}
	full, openFrom, headFrom, open := l.pages(limit)
	var files []feed.File
	prev := full
	if open {
		items, err := b.articles(ctx, spec, l, openFrom, headFrom)
		if err != nil {
			return nil, nil, err
		}
		if files, _, err = renderDoc(&b.site, spec, items, full+1, full); err != nil {
			return nil, nil, err
		}
		prev = full + 1
	}
	items, err := b.articles(ctx, spec, l, headFrom, len(l.seqs))
	if err != nil {
		return nil, nil, err
	}
	head, fd, err := renderDoc(&b.site, spec, feed.Filter{MaxAge: spec.Filter.MaxAge}.Apply(items, now), 0, prev)
	if err != nil {
		return nil, nil, err
	}
	return append(head, files...), fd, nil
}

// fullPage renders full archive page k of spec from layout l, in every
// format.
func (b *Builder) fullPage(ctx context.Context, spec *FeedSpec, l *layout, k int) ([]feed.File, error) {
	limit := spec.Filter.Limit
	items, err := b.articles(ctx, spec, l, (k-1)*limit, k*limit)
	if err != nil {
		return nil, err
	}
	files, _, err := renderDoc(&b.site, spec, items, k, k-1)
	for i := range files {
		files[i].Immutable = true
	}
	return files, err
}

// parseArchivePath splits "archive/NAME-K.EXT" (feed.ArchivePath) into
// its feed, page and format.
func parseArchivePath(path string) (name string, k int, f feed.Format, ok bool) {
	rest, ok := strings.CutPrefix(path, "archive/")
	if !ok {
		return "", 0, f, false
	}
	dot := strings.LastIndexByte(rest, '.')
	dash := strings.LastIndexByte(rest, '-')
	if dot < 0 || dash < 0 || dash > dot {
		return "", 0, f, false
	}
	k, err := strconv.Atoi(rest[dash+1 : dot])
	if err != nil || k < 1 || strconv.Itoa(k) != rest[dash+1:dot] {
		return "", 0, f, false
	}
	for _, format := range feed.Formats {
		if format.Ext == rest[dot:] {
			return rest[:dash], k, format, true
		}
	}
	return "", 0, f, false
}

// maxSeq is the last place of any source the Builder has read.
func (b *Builder) maxSeq() int64 {
	var top int64
	for _, sl := range b.sources {
		if n := len(sl.slots); n > 0 {
			top = max(top, sl.slots[n-1].seq)
		}
	}
	return top
}

// Dates returns the publication dates of the source's articles as the
// last build read them (of a source its feeds carry).
func (b *Builder) Dates(source string) []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	sl := b.sources[source]
	if sl == nil {
		return nil
	}
	out := make([]time.Time, 0, len(sl.slots))
	for _, s := range sl.slots {
		if !s.gone {
			out = append(out, time.Unix(s.published, 0).UTC())
		}
	}
	return out
}
