package feed

import (
	"cmp"
	"crypto/sha1"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
)

// defaultSummaryLength is the summary length, in characters, when
// Options.SummaryLength is zero.
const defaultSummaryLength = 300

// Options controls Normalize.
type Options struct {
	// Now is the time of the collection. Dates more than a day after Now
	// are clamped to it, and articles with no date at all get it. Zero
	// disables both, which keeps a render independent of the clock.
	Now time.Time
	// SummaryLength caps summaries, in characters; defaultSummaryLength if zero.
	SummaryLength int
	// Secrets, when set, removes the operator's secrets from every
	// article (see Secrets); nil publishes articles as they are.
	Secrets Secrets
}

// maxFuture is how far ahead of the collection a date may be before it is
// treated as a mistake (a wrong zone, a typo) and clamped.
const maxFuture = 24 * time.Hour

// Normalize returns the articles cleaned for publishing: text trimmed and
// stripped of characters XML 1.0 forbids, HTML sanitized with links made
// absolute, URLs canonical, a plain-text summary for every article, dates
// in UTC at second precision, sorted newest first, with duplicates (same
// ID; or same canonical link from another source) dropped. Every article comes out with a title. The input is not
// modified.
func Normalize(in []Article, opts Options) []Article {
	if opts.SummaryLength <= 0 {
		opts.SummaryLength = defaultSummaryLength
	}
	out := make([]Article, len(in))
	// Articles are independent, and sanitizing dominates collection time,
	// so large batches are spread over the CPUs; each result lands in its
	// own slot, so the output does not depend on scheduling.
	// Runs of 64 keep a small batch on one goroutine.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(in); lo += 64 {
		g.Go(func() error {
			for i := lo; i < min(lo+64, len(in)); i++ {
				out[i] = normalizeOne(in[i], opts)
			}
			return nil
		})
	}
	g.Wait()
	return Merge(out)
}

// Merge combines lists of normalized articles into one, newest first,
// keeping the first (newest) of the articles that share an ID, or a
// canonical link across sources.
// It is how a feed made of several sources is assembled without
// normalizing everything again. The inputs are not modified.
func Merge(lists ...[]Article) []Article {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]Article, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	SortNewestFirst(out)
	return dedupe(out)
}

func normalizeOne(a Article, opts Options) Article {
	base := ParseHTTPURL(cleanText(a.Base))
	a.URL = absURL(base, cleanText(a.URL))
	if a.URL != "" {
		a.URL = CanonicalURL(a.URL)
	}
	if u := ParseHTTPURL(a.URL); u != nil {
		base = u
	}

	a.Content = sanitizeHTML(cleanText(a.Content), base)
	// Only a summary's worth of text is needed (the title fallback is
	// shorter), so extraction stops there.
	text := HTMLText(a.Content, opts.SummaryLength)
	a.Title = CollapseSpace(cleanText(a.Title))
	if a.Title == "" {
		a.Title = truncateWords(text, 80)
	}
	if s := HTMLText(cleanText(a.Summary), opts.SummaryLength); s != "" {
		a.Summary = truncateWords(s, opts.SummaryLength)
	} else {
		a.Summary = truncateWords(text, opts.SummaryLength)
	}

	a.Author = Author{
		Name:  CollapseSpace(cleanText(a.Author.Name)),
		Email: strings.TrimSpace(cleanText(a.Author.Email)),
		URL:   absURL(base, cleanText(a.Author.URL)),
	}
	a.Tags = cleanTags(a.Tags)
	a.Enclosures = cleanEnclosures(a.Enclosures, base)
	a.Page = cleanText(a.Page)
	a.Source = cleanText(a.Source)
	a.Base = ""

	a.ID = strings.TrimSpace(cleanText(a.ID))
	if a.ID == "" {
		a.ID = a.URL
	}
	if a.ID == "" {
		// Nothing identifies the article but its words; derive a stable
		// name-based UUID from them.
		a.ID = "urn:uuid:" + NameUUID(a.Title+"\x00"+a.Content)
	}
	if a.Title == "" {
		// Every format needs something to call the item by (an empty
		// <title> is invalid): its link, its first enclosure, or a word.
		a.Title = a.URL
		if a.Title == "" && len(a.Enclosures) > 0 {
			a.Title = a.Enclosures[0].URL
		}
		if a.Title == "" {
			a.Title = "Untitled"
		}
	}

	a.Published, a.Updated = normalizeDates(a.Published, a.Updated, opts.Now)
	if opts.Secrets != nil {
		a = scrubSecrets(a, opts.Secrets)
	}
	return a
}

func normalizeDates(pub, upd, now time.Time) (time.Time, time.Time) {
	if !now.IsZero() {
		limit := now.Add(maxFuture)
		if pub.After(limit) {
			pub = now
		}
		if upd.After(limit) {
			upd = now
		}
	}
	if pub.IsZero() {
		pub = upd
	}
	if upd.IsZero() {
		upd = pub
	}
	if pub.IsZero() && !now.IsZero() {
		pub, upd = now, now
	}
	if pub.IsZero() {
		return time.Time{}, time.Time{}
	}
	pub, upd = utc(pub), utc(upd)
	if upd.Before(pub) {
		upd = pub
	}
	return pub, upd
}

// SortNewestFirst orders by publication date, newest first, then by ID
// so the order is total and renders are reproducible: the order of every
// feed document, and Herald's one newest-first order.
func SortNewestFirst(items []Article) {
	slices.SortStableFunc(items, func(a, b Article) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// dedupe keeps the first (newest) of the articles sharing an ID, and of
// those from different sources sharing a canonical link (one story carried
// by two upstreams). Within one source a shared link does not make two
// articles one: podcast episodes that all link to the show's page, or
// posts on one page that differ by their #anchor, are distinct items with
// distinct IDs, and the upstream's IDs decide. An article without an
// upstream ID has its canonical link as ID, so there the link decides.
func dedupe(items []Article) []Article {
	ids := make(map[string]bool, len(items))
	links := make(map[string]string, len(items)) // canonical link → source of the first
	out := items[:0]
	for _, a := range items {
		if ids[a.ID] {
			continue
		}
		if src, ok := links[a.URL]; ok && a.URL != "" && src != a.Source {
			continue
		}
		ids[a.ID] = true
		if _, ok := links[a.URL]; !ok && a.URL != "" {
			links[a.URL] = a.Source
		}
		out = append(out, a)
	}
	return out
}

// PublicID returns the ID every format publishes for a: its ID when that
// is an IRI, as atom:id must be (RFC 4287 4.2.6), and otherwise a
// name-based UUID URN of the source name and the ID. Upstreams use IDs
// like "23246627" or "posts/x/index.md"; those stay the article's
// identity (ID), and the source scoping keeps two upstreams' "1" apart.
func (a *Article) PublicID() string {
	if isIRI(a.ID) {
		return a.ID
	}
	return "urn:uuid:" + NameUUID(a.Source+"\x00"+a.ID)
}

// isIRI reports whether id can be published as an atom:id: it has a
// scheme (RFC 3987) and none of the characters an IRI cannot hold.
func isIRI(id string) bool {
	colon := strings.IndexByte(id, ':')
	if colon < 1 || !isAlpha(id[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		c := id[i]
		if !isAlpha(c) && (c < '0' || c > '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	if colon == len(id)-1 {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("<>\"{}|\\^`", r)
	})
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// cleanText drops invalid UTF-8 and the characters XML 1.0 forbids
// (controls other than tab, newline and carriage return; U+FFFE, U+FFFF).
func cleanText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !xmlChar(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && n <= 1) && xmlChar(r) {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}

// collapseSpace trims s and turns every run of white space into one
// space, in one pass and without allocating when s is already clean.
func CollapseSpace(s string) string {
	clean, space := true, true // space: the previous rune was white (or start)
	for _, r := range s {
		if unicode.IsSpace(r) {
			if space || r != ' ' {
				clean = false
				break
			}
			space = true
		} else {
			space = false
		}
	}
	if clean && !space || s == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// truncateWords cuts s to at most n characters at a word boundary,
// marking the cut with an ellipsis.
func truncateWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if cut >= n-1 { // leave room for the ellipsis
			s = s[:i]
			break
		}
		cut++
	}
	if i := strings.LastIndexFunc(s, unicode.IsSpace); i > len(s)/2 {
		s = s[:i]
	}
	return strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}

func cleanEnclosures(in []Enclosure, base *url.URL) []Enclosure {
	var out []Enclosure
	seen := map[string]bool{}
	for _, e := range in {
		e.URL = absURL(base, cleanText(e.URL))
		if e.URL == "" || seen[e.URL] {
			continue
		}
		seen[e.URL] = true
		// RSS and JSON Feed both require a media type.
		e.Type = strings.TrimSpace(cleanText(e.Type))
		if e.Type == "" {
			e.Type = "application/octet-stream"
		}
		e.Length = max(e.Length, 0)
		out = append(out, e)
	}
	return out
}

func cleanTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = CollapseSpace(cleanText(t))
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	return out
}

// NameUUID returns a name-based (version 5) UUID in the URL namespace.
func NameUUID(name string) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
