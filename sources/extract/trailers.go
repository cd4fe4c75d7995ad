package extract

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/heraldfeed/herald/feed"
)

// DefaultTrailers are the patterns of the site chrome that scraped articles
// drag along at their end: author boxes, comment forms, share and related
// widgets, newsletter prompts.
//
// Each pattern is a Go regular expression (regexp/syntax) matched
// case-insensitively against a WHOLE line or block: the pattern is anchored
// as ^(?:pattern)$ and tested against the block's text with its whitespace
// collapsed to single spaces, trimmed, and any trailing colons removed, so
// "Share this" also matches "  SHARE   this: ". Config key `trailers` adds
// patterns written the same way.
var DefaultTrailers = []string{
	`about (the|this) author`,
	`leave a (reply|comment)( cancel reply)?`,
	`cancel reply`,
	`(share|like) this( (post|article|story|page))?`,
	`share`,
	`related( (posts?|articles?|stories|content|reading|items))?`,
	`you (may|might) also (like|enjoy)`,
	`(\d+|no|one) comments?( yet)?`,
	`comments?`,
	`post navigation`,
	`click to (share|email|print|tweet)\b.*`,
	`share (this( (post|article|story|page))? )?(on|to|via|with) (facebook|twitter|x|linkedin|reddit|pinterest|whatsapp|telegram|tumblr|pocket|mastodon|threads|bluesky|email|e-mail)\b.*`,
	`(subscribe|sign up) (to|for) (our|the|my) newsletter`,
	`loading(\.\.\.|…)?`,
	// What blog engines append to feed items.
	`the post .+ (appeared first|first appeared) on .+`,
	`(read|view) the (full|rest of the|original) (post|article|story)\b.*`,
}

// Trailers recognizes trailer blocks: the first block that matches, when at
// least one body block precedes it, starts the chrome that is cut off
// together with everything after it.
type Trailers struct {
	re *regexp.Regexp
}

// NewTrailers compiles DefaultTrailers plus extra. An invalid extra pattern
// is an error naming its index.
func NewTrailers(extra []string) (*Trailers, error) {
	alts := make([]string, 0, len(DefaultTrailers)+len(extra))
	for _, p := range DefaultTrailers {
		alts = append(alts, "(?:"+p+")")
	}
	for i, p := range extra {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("trailers[%d]: empty pattern", i)
		}
		if _, err := regexp.Compile(p); err != nil {
			return nil, fmt.Errorf("trailers[%d]: %w", i, err)
		}
		alts = append(alts, "(?:"+p+")")
	}
	// One alternation is one pass over the line instead of one per pattern.
	re, err := regexp.Compile(`(?i)^(?:` + strings.Join(alts, "|") + `)$`)
	if err != nil {
		return nil, fmt.Errorf("compiling trailers: %w", err)
	}
	return &Trailers{re: re}, nil
}

// Match reports whether line, a line of text or a block's text content, is
// a trailer. A nil *Trailers matches nothing.
func (t *Trailers) Match(line string) bool {
	if t == nil {
		return false
	}
	// Trailer lines are short; skipping long paragraphs before collapsing
	// them keeps the allocation and the regexp off the bulk of every
	// article.
	if trailerMax < len(line) && trailerMax < collapsedLen(line, trailerMax) {
		return false
	}
	s := strings.TrimRight(feed.CollapseSpace(line), ": ")
	return s != "" && t.re.MatchString(s)
}

// trailerMax is the longest line, once collapsed, that can be a
// trailer.
const trailerMax = 200

// collapsedLen returns len(feed.CollapseSpace(s)), or some number above
// limit once it is known to exceed it.
func collapsedLen(s string, limit int) int {
	n, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = n > 0
			continue
		}
		if space {
			n++
			space = false
		}
		if n += utf8.RuneLen(r); n > limit {
			return n
		}
	}
	return n
}
