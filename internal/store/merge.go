package store

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// Prior is what Plan needs of a stored article: its place, content hash
// and dates, without its body (a history of 100,000 articles is read at
// every collection that changes it).
type Prior struct {
	ID        string
	Seq       int64
	Hash      string
	FirstSeen time.Time
	Published time.Time
	Updated   time.Time
}

// Stored is one article of a history as a backend keeps it.
type Stored struct {
	Article feed.Article
	// Hash is contentHash of Article: an edit changes it, a new
	// modification time of the same bytes does not.
	Hash string
	// FirstSeen is when a collection first returned the article.
	FirstSeen time.Time
	// Seq is the article's insertion order within the store, increasing:
	// assigned by the backend when the article is first stored.
	Seq int64
}

// contentHash is the hash of what an article says, without its dates:
// two collections of the same content hash alike whatever dates they
// carry.
func contentHash(a feed.Article) string {
	a.Published, a.Updated = time.Time{}, time.Time{}
	b, err := json.Marshal(a)
	if err != nil {
		panic(err) // strings, ints and times always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// toWrite applies the date rules to one collection and returns the rows
// to write: new articles and edited ones. old holds the source's history
// by ID. Rules:
//   - a new article is stored with the dates it carries (the source dated
//     undated ones: a file's modification time, an item's first-seen time);
//   - a stored article's Published never moves;
//   - an article whose content hash changed is an edit: Updated becomes the
//     date the article carries if that is newer than the stored one, else
//     now; nothing else about its dates changes;
//   - an article whose hash did not change is not written at all, whatever
//     dates it carries.
func toWrite(old map[string]Prior, incoming []feed.Article, now time.Time) []Stored {
	var out []Stored
	seen := make(map[string]bool, len(incoming))
	for _, a := range incoming {
		if seen[a.ID] {
			continue // the first of two equal IDs wins, as in feed.Merge
		}
		seen[a.ID] = true
		h := contentHash(a)
		prev, ok := old[a.ID]
		if !ok {
			out = append(out, Stored{Article: a, Hash: h, FirstSeen: now})
			continue
		}
		if prev.Hash == h {
			continue
		}
		updated := a.Updated
		if !updated.After(prev.Updated) {
			updated = now.UTC().Truncate(time.Second)
		}
		a.Published, a.Updated = prev.Published, updated
		out = append(out, Stored{Article: a, Hash: h, FirstSeen: prev.FirstSeen, Seq: prev.Seq})
	}
	return out
}

// expired returns the IDs retention removes from a history: of the
// articles not in current (the source no longer returns them), those past
// the Keep newest of them (by Published, then insertion order) or
// published more than KeepFor before now. An article the source still
// returns is never removed, and never counts against Keep.
func expired(all []Prior, current map[string]bool, r Retention, now time.Time) []string {
	if r.Keep <= 0 && r.KeepFor <= 0 {
		return nil
	}
	sorted := append([]Prior(nil), all...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := &sorted[i], &sorted[j]
		if !a.Published.Equal(b.Published) {
			return a.Published.After(b.Published)
		}
		return a.Seq > b.Seq
	})
	var out []string
	gone := 0 // articles seen that the source no longer returns
	for _, s := range sorted {
		if current[s.ID] {
			continue
		}
		gone++
		tooMany := r.Keep > 0 && gone > r.Keep
		tooOld := r.KeepFor > 0 && s.Published.Before(now.Add(-r.KeepFor))
		if tooMany || tooOld {
			out = append(out, s.ID)
		}
	}
	return out
}

// Plan is what one collection does to a source's log.
type Plan struct {
	// Write are the articles to store, new and edited. Seq 0 asks for the
	// next place: new articles come oldest first (Published, then ID), so
	// that a cold import places a folder's articles in date order and a
	// rerun places them alike; edits moved to a new place come after them.
	Write []Stored
	// Leave are the places articles leave (Gone slots): those of edits
	// moved to a new place and of articles retention removes.
	Leave []Slot
	// Remove are the IDs retention removes.
	Remove []string
}

// Changed reports whether the plan changes the history.
func (p *Plan) Changed() bool { return len(p.Write) > 0 || len(p.Remove) > 0 }

// History is what Plan is told of a source's history.
type History struct {
	// ByID are stored articles by ID: at least those of the collection's
	// Articles, and all of them when the collection Prunes.
	ByID map[string]Prior
	// FreshFrom is the place of the source's Fresh-th newest article, the
	// oldest an edit leaves where it is (FreshFrom); 0 when it holds no
	// more than Fresh.
	FreshFrom int64
}

// FreshFrom is the place of the fresh-th newest of seqs, or 0 when there
// are no more than fresh (or fresh is 0).
func FreshFrom(seqs []int64, fresh int) int64 {
	if fresh <= 0 || len(seqs) < fresh {
		return 0
	}
	seqs = slices.Clone(seqs)
	slices.Sort(seqs)
	return seqs[len(seqs)-fresh]
}

// Plan returns what c does to a source's history: Merge's writes, placed
// by c.Fresh, and expired's removals (when c Prunes; history.ByID is then
// the whole history).
func (c *Collection) Plan(history History) Plan {
	var p Plan
	p.Write = toWrite(history.ByID, c.Articles, c.Now)
	fresh := history.FreshFrom // the oldest place an edit stays at
	for i := range p.Write {
		st := &p.Write[i]
		if st.Seq != 0 && st.Seq < fresh {
			p.Leave = append(p.Leave, Slot{Seq: st.Seq, Source: c.Source, ID: st.Article.ID, Gone: true})
			st.Seq = 0
		}
	}
	// Places taken: none for edits in place; then new articles, oldest
	// first; then edits moved, last, so that the head carries them even
	// when new articles come with them.
	rank := func(st *Stored) int {
		switch {
		case st.Seq != 0:
			return 0
		case history.ByID[st.Article.ID].Seq == 0:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(p.Write, func(a, b Stored) int {
		if c := cmp.Compare(rank(&a), rank(&b)); c != 0 {
			return c
		}
		if a.Seq != 0 {
			return cmp.Compare(a.Seq, b.Seq)
		}
		if c := a.Article.Published.Compare(b.Article.Published); c != 0 {
			return c
		}
		return strings.Compare(a.Article.ID, b.Article.ID)
	})
	// Retention only looks at what the source no longer returns (what it
	// writes, it returns): on a large history that is usually little.
	if !c.Prunes(len(history.ByID)) {
		return p
	}
	current := c.Current()
	var dropped []Prior
	for id, st := range history.ByID {
		if !current[id] {
			dropped = append(dropped, st)
		}
	}
	p.Remove = expired(dropped, current, c.Retention, c.Now)
	for _, id := range p.Remove {
		st := history.ByID[id] // removed articles are never new: new ones are current
		p.Leave = append(p.Leave, Slot{Seq: st.Seq, Source: c.Source, ID: id, Gone: true})
	}
	return p
}
