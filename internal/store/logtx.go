package store

import (
	"context"
	"encoding/json"
)

// LogTx is what a SQL backend's write transaction offers Commit: the
// statements, in its dialect, of one change to a source's log. Commit is
// the algorithm both backends share; they differ only in these.
type LogTx interface {
	// Counters locks and reads the log's counters (the last place taken
	// and the last revision), so that places are taken in commit order.
	Counters(ctx context.Context) (seq, rev int64, err error)
	// Count is how many articles source holds.
	Count(ctx context.Context, source string) (int, error)
	// History reads what Plan needs of the source's history of n
	// articles (see Collection.Prunes).
	History(ctx context.Context, c *Collection, n int) (History, error)
	// Put stores an article at its place, with its JSON, at revision rev.
	Put(ctx context.Context, source string, st Stored, data []byte, rev int64) error
	// Remove removes the articles of source with ids.
	Remove(ctx context.Context, source string, ids []string) error
	// Leave records that an article of source left place l at rev.
	Leave(ctx context.Context, source string, l Slot, rev int64) error
	// SetCounters records the counters after the change.
	SetCounters(ctx context.Context, seq, rev int64) error
}

// Commit writes c's articles into its source's log through tx and prunes
// it (retention), reporting whether the log changed and how many articles
// the source holds after it (its status counts them): new articles take
// the next places, oldest first; an edit stays in its place or moves to
// a new one (Plan); every place an article leaves is kept as gone; and
// the change gets the next revision.
func Commit(ctx context.Context, tx LogTx, c *Collection) (changed bool, count int, err error) {
	seq, rev, err := tx.Counters(ctx)
	if err != nil {
		return false, 0, err
	}
	n, err := tx.Count(ctx, c.Source)
	if err != nil {
		return false, 0, err
	}
	if c.Untouched(n) {
		// Nothing new (a files source whose files did not change), and
		// retention cannot remove anything.
		return false, n, nil
	}
	old, err := tx.History(ctx, c, n)
	if err != nil {
		return false, 0, err
	}
	p := c.Plan(old)
	if !p.Changed() {
		return false, n, nil
	}
	rev++
	for _, st := range p.Write {
		if _, stored := old.ByID[st.Article.ID]; !stored {
			n++ // History holds every article the collection brings that is stored
		}
		data, err := json.Marshal(st.Article)
		if err != nil {
			return false, 0, err
		}
		if st.Seq == 0 {
			seq++
			st.Seq = seq
		}
		if err := tx.Put(ctx, c.Source, st, data, rev); err != nil {
			return false, 0, err
		}
	}
	if len(p.Remove) > 0 {
		if err := tx.Remove(ctx, c.Source, p.Remove); err != nil {
			return false, 0, err
		}
		n -= len(p.Remove)
	}
	for _, l := range p.Leave {
		if err := tx.Leave(ctx, c.Source, l, rev); err != nil {
			return false, 0, err
		}
	}
	return true, n, tx.SetCounters(ctx, seq, rev)
}
