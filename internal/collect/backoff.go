package collect

import (
	"slices"
	"strings"
	"time"

	"github.com/heraldfeed/herald/sources"
)

// Backoff is a failing feed as its state tells it: how many collections
// in a row failed, when it tries again, and the last error.
type Backoff struct {
	// URL is the feed among those a source lists (its key in
	// sources.State.Subs, which holds no secret); "" for the source itself.
	URL      string
	Failures int
	RetryAt  time.Time
	Error    string
}

// Backoffs is what a source's state says of its failures. It is derived
// from the state the source's last collection returned, not recorded
// beside it.
type Backoffs struct {
	// Source is the source's own back-off; zero when it is not failing.
	Source Backoff
	// Entries are the failing feeds among those the source lists (an
	// OPML list), by URL; each backs off on its own.
	Entries []Backoff
	// RetryAt is when the source next fetches anything: its own retry
	// time, or, when every feed it lists is failing, the first of
	// theirs. Zero when it is not backing off.
	RetryAt time.Time
}

// Backoffs returns the back-offs of source name (only from a collecting
// process: LoadStatus reads no state).
func (c *Collector) Backoffs(name string) Backoffs {
	c.mu.Lock()
	var st sources.State
	if k := c.kept[name]; k != nil {
		st = k.rec.State
	}
	c.mu.Unlock()
	var out Backoffs
	if st.Failures > 0 {
		out.Source = c.backoff("", st)
		out.RetryAt = st.RetryAt
	}
	all := len(st.Subs) > 0
	for u, sub := range st.Subs {
		if sub.State.Failures == 0 {
			all = false
			continue
		}
		out.Entries = append(out.Entries, c.backoff(u, sub.State))
	}
	slices.SortFunc(out.Entries, func(a, b Backoff) int { return strings.Compare(a.URL, b.URL) })
	if all && out.RetryAt.IsZero() {
		out.RetryAt = slices.MinFunc(out.Entries, func(a, b Backoff) int { return a.RetryAt.Compare(b.RetryAt) }).RetryAt
	}
	return out
}

func (c *Collector) backoff(u string, st sources.State) Backoff {
	b := Backoff{URL: u, Failures: st.Failures, RetryAt: st.RetryAt, Error: st.Error}
	if c.secrets != nil {
		b.Error = c.secrets.PublicText(b.Error)
	}
	return b
}
