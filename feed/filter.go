package feed

import (
	"regexp"
	"time"
)

// Filter selects the articles a feed publishes.
type Filter struct {
	// Include, when not empty, keeps only articles whose title, summary or
	// content (as text) matches at least one expression. Tags are not
	// matched.
	Include []*regexp.Regexp
	// Exclude drops articles whose title, summary or content matches any
	// expression.
	Exclude []*regexp.Regexp
	// MaxAge, when positive, drops articles published longer ago than
	// this before now.
	MaxAge time.Duration
	// Limit, when positive, keeps at most this many articles (the first,
	// so the newest of a Normalized list).
	Limit int
}

// Apply returns the articles f keeps, in their order. The input is not
// modified.
func (f Filter) Apply(items []Article, now time.Time) []Article {
	n := len(items)
	if f.Limit > 0 {
		n = min(n, f.Limit)
	}
	out := make([]Article, 0, n)
	for i := range items {
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		a := &items[i]
		if f.MaxAge > 0 && !a.Published.IsZero() && now.Sub(a.Published) > f.MaxAge {
			continue
		}
		if len(f.Include) > 0 || len(f.Exclude) > 0 {
			text := a.Title + "\n" + a.Summary + "\n" + HTMLText(a.Content, -1)
			if len(f.Include) > 0 && !anyMatch(f.Include, text) {
				continue
			}
			if anyMatch(f.Exclude, text) {
				continue
			}
		}
		out = append(out, *a)
	}
	return out
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
