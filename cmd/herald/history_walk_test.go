package main

// The archive chain walker and the history checks of history_test.go.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"
	_ "modernc.org/sqlite"

	"github.com/heraldfeed/herald/feed"
)

// historyFormats are the three published formats, by extension.
var historyFormats = []string{".rss", ".atom", ".json"}

// docFetcher reads one published document by its site-relative path
// ("world.rss", "archive/world-3.atom"), with its response headers when it
// came over HTTP.
type docFetcher interface {
	fetch(rel string) ([]byte, http.Header, error)
	String() string
}

// httpFetcher reads documents from a running serve.
type httpFetcher struct{ base string } // "http://127.0.0.1:PORT"

func (h httpFetcher) fetch(rel string) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(h.base, "/")+"/"+rel, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.Header, fmt.Errorf("GET /%s: %s", rel, resp.Status)
	}
	return b, resp.Header, nil
}

func (h httpFetcher) String() string { return "serve at " + h.base }

// dirFetcher reads documents from a generate output folder.
type dirFetcher struct{ dir string }

func (d dirFetcher) fetch(rel string) ([]byte, http.Header, error) {
	if strings.Contains(rel, "..") {
		return nil, nil, fmt.Errorf("path %q leaves the folder", rel)
	}
	b, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(rel)))
	return b, nil, err
}

func (d dirFetcher) String() string { return "folder " + d.dir }

// walkItem is one item of one document of a chain.
type walkItem struct {
	ID        string
	Title     string
	Text      string // content and summary as published
	Link      string // the item's link (RSS link, Atom alternate, JSON url)
	Published time.Time
	Updated   time.Time
	Doc       int // index into chainWalk.Docs
}

// chainWalk is what following one format's chain from the head found.
type chainWalk struct {
	Feed, Ext string
	Docs      []string // document URLs in walk order, absolute (the head first)
	Rels      []string // the same, site-relative
	Counts    []int    // items per document
	Items     []walkItem
	// Links are the history and self links every document carries
	// (self, current, prev-archive; JSON feed_url and next_url), as written.
	Links []docLink
	Err   error // a fetch or parse failure, a loop, a link outside base_url
}

type docLink struct {
	Doc       string // the document's site-relative path
	Rel, Href string
}

// ids returns the item IDs in walk order.
func (w *chainWalk) ids() []string {
	out := make([]string, len(w.Items))
	for i, it := range w.Items {
		out[i] = it.ID
	}
	return out
}

// parsedDoc is one document as the walker needs it.
type parsedDoc struct {
	items []walkItem
	links []docLink // rel "prev-archive" (JSON next_url) among them
}

// walkChain follows the chain of feed name in format ext from the head
// document: base is the config's base_url, which the documents' absolute
// links start with; f reads the site-relative paths they map onto.
// Links under one of alt (an earlier base_url) are followed too, mapped
// the same way; the caller checks Links for them.
func walkChain(f docFetcher, base, name, ext string, alt ...string) *chainWalk {
	w := &chainWalk{Feed: name, Ext: ext}
	seen := map[string]bool{}
	cur := base + name + ext
	for cur != "" {
		if seen[cur] {
			w.Err = fmt.Errorf("loop: %s is linked again after %d documents", cur, len(w.Docs))
			return w
		}
		if len(w.Docs) > 100000 {
			w.Err = fmt.Errorf("more than 100000 documents")
			return w
		}
		seen[cur] = true
		rel, ok := strings.CutPrefix(cur, base)
		for _, a := range alt {
			if !ok {
				rel, ok = strings.CutPrefix(cur, a)
			}
		}
		if !ok {
			w.Err = fmt.Errorf("document %s (linked from %s) is not under base_url %s", cur, w.lastDoc(), base)
			return w
		}
		rel, _, _ = strings.Cut(rel, "#")
		body, _, err := f.fetch(rel)
		if err != nil {
			w.Err = fmt.Errorf("%s (linked from %s): %v", cur, w.lastDoc(), err)
			return w
		}
		doc, err := parseDoc(body, ext, rel)
		if err != nil {
			w.Err = fmt.Errorf("%s: %v", cur, err)
			return w
		}
		w.Docs = append(w.Docs, cur)
		w.Rels = append(w.Rels, rel)
		w.Counts = append(w.Counts, len(doc.items))
		for _, it := range doc.items {
			it.Doc = len(w.Docs) - 1
			w.Items = append(w.Items, it)
		}
		w.Links = append(w.Links, doc.links...)
		next := ""
		for _, l := range doc.links {
			if l.Rel != "prev-archive" {
				continue
			}
			if next != "" {
				w.Err = fmt.Errorf("%s has two prev-archive links", cur)
				return w
			}
			u, err := url.Parse(cur)
			if err != nil {
				w.Err = err
				return w
			}
			ref, err := url.Parse(l.Href)
			if err != nil {
				w.Err = fmt.Errorf("%s: prev-archive %q: %v", cur, l.Href, err)
				return w
			}
			next = u.ResolveReference(ref).String()
		}
		cur = next
	}
	return w
}

func (w *chainWalk) lastDoc() string {
	if len(w.Docs) == 0 {
		return "the test"
	}
	return w.Docs[len(w.Docs)-1]
}

func parseDoc(body []byte, ext, rel string) (*parsedDoc, error) {
	d := &parsedDoc{}
	switch ext {
	case ".rss":
		ch, err := (&rss.Parser{}).Parse(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		for _, l := range ch.Extensions["atom"]["link"] {
			d.links = append(d.links, docLink{Doc: rel, Rel: l.Attrs["rel"], Href: l.Attrs["href"]})
		}
		for _, it := range ch.Items {
			wi := walkItem{Title: it.Title, Text: it.Content + "\n" + it.Description, Link: it.Link}
			if it.GUID != nil {
				wi.ID = it.GUID.Value
			}
			if it.PubDateParsed != nil {
				wi.Published = *it.PubDateParsed
			}
			d.items = append(d.items, wi)
		}
	case ".atom":
		fd, err := (&atom.Parser{}).Parse(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		for _, l := range fd.Links {
			if l.Rel != "alternate" && l.Rel != "hub" {
				d.links = append(d.links, docLink{Doc: rel, Rel: l.Rel, Href: l.Href})
			}
		}
		for _, e := range fd.Entries {
			wi := walkItem{ID: e.ID, Title: e.Title}
			if e.Content != nil {
				wi.Text = e.Content.Value
			}
			wi.Text += "\n" + e.Summary
			for _, l := range e.Links {
				if l.Rel == "alternate" || l.Rel == "" {
					wi.Link = l.Href
				}
			}
			if e.PublishedParsed != nil {
				wi.Published = *e.PublishedParsed
			}
			if e.UpdatedParsed != nil {
				wi.Updated = *e.UpdatedParsed
			}
			d.items = append(d.items, wi)
		}
	case ".json":
		var jf struct {
			FeedURL string `json:"feed_url"`
			NextURL string `json:"next_url"`
			Items   []struct {
				ID            string `json:"id"`
				URL           string `json:"url"`
				Title         string `json:"title"`
				ContentHTML   string `json:"content_html"`
				ContentText   string `json:"content_text"`
				Summary       string `json:"summary"`
				DatePublished string `json:"date_published"`
				DateModified  string `json:"date_modified"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &jf); err != nil {
			return nil, err
		}
		if jf.FeedURL != "" {
			d.links = append(d.links, docLink{Doc: rel, Rel: "self", Href: jf.FeedURL})
		}
		if jf.NextURL != "" {
			d.links = append(d.links, docLink{Doc: rel, Rel: "prev-archive", Href: jf.NextURL})
		}
		for _, it := range jf.Items {
			wi := walkItem{ID: it.ID, Title: it.Title, Link: it.URL, Text: it.ContentHTML + "\n" + it.ContentText + "\n" + it.Summary}
			var err error
			if it.DatePublished != "" {
				if wi.Published, err = time.Parse(time.RFC3339, it.DatePublished); err != nil {
					return nil, fmt.Errorf("item %s: date_published: %v", it.ID, err)
				}
			}
			if it.DateModified != "" {
				if wi.Updated, err = time.Parse(time.RFC3339, it.DateModified); err != nil {
					return nil, fmt.Errorf("item %s: date_modified: %v", it.ID, err)
				}
			}
			d.items = append(d.items, wi)
		}
	default:
		return nil, fmt.Errorf("unknown format %s", ext)
	}
	return d, nil
}

// walkAll walks the chains of feed name in the three formats.
func walkAll(f docFetcher, base, name string) map[string]*chainWalk {
	out := map[string]*chainWalk{}
	for _, ext := range historyFormats {
		out[ext] = walkChain(f, base, name, ext)
	}
	return out
}

// storedArticle is one row of the store's articles table.
type storedArticle struct {
	Source, ID, PublicID string
	Published, Updated   int64 // Unix seconds
}

// readStore returns the store's articles by the ID every format
// publishes, opening DATA_DIR/herald.db read-only.
func readStore(dataDir string) (map[string]storedArticle, error) {
	path := filepath.Join(dataDir, "herald.db")
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT source, id, published, updated FROM articles`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rows.Close()
	out := map[string]storedArticle{}
	for rows.Next() {
		var a storedArticle
		if err := rows.Scan(&a.Source, &a.ID, &a.Published, &a.Updated); err != nil {
			return nil, err
		}
		a.PublicID = (&feed.Article{ID: a.ID, Source: a.Source}).PublicID()
		out[a.PublicID] = a
	}
	return out, rows.Err()
}

// chainCheck says what to check of a feed's walks.
type chainCheck struct {
	Feed  string
	Limit int
	// Edited, when set, is the public ID of an article edited after it
	// was archived: it must be in the head, and may also stay (once) on
	// the page it was archived on.
	Edited string
}

// example lists up to 5 of ids, sorted.
func example(ids []string) string {
	sort.Strings(ids)
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + fmt.Sprintf(", … (%d in all)", len(ids))
	}
	return strings.Join(ids, ", ")
}

// chainProblems checks walks (by extension) of one feed against the
// store: every stored article exactly once per format, nothing that is
// not stored, no document over the limit, the same set in all formats,
// and each item's published date the store's. where names what was
// walked, for the messages.
func chainProblems(where string, c chainCheck, stored map[string]storedArticle, walks map[string]*chainWalk) []string {
	var out []string
	sets := map[string]map[string]bool{}
	for _, ext := range historyFormats {
		w := walks[ext]
		if w == nil {
			continue
		}
		pfx := fmt.Sprintf("%s: feed %s, %s chain", where, c.Feed, strings.TrimPrefix(ext, "."))
		if w.Err != nil {
			out = append(out, fmt.Sprintf("%s: walk stopped after %d documents: %v", pfx, len(w.Docs), w.Err))
		}
		count := map[string]int{}
		inHead := map[string]bool{}
		for _, it := range w.Items {
			count[it.ID]++
			if it.Doc == 0 {
				inHead[it.ID] = true
			}
		}
		set := map[string]bool{}
		var missing, dup, extra, edited, badDate []string
		for id := range stored {
			switch n := count[id]; {
			case n == 0:
				missing = append(missing, id)
			case id == c.Edited:
				if !inHead[id] || n > 2 {
					edited = append(edited, fmt.Sprintf("%s (%d times, in the head: %v; want in the head, and at most once elsewhere)", id, n, inHead[id]))
				}
			case n > 1:
				dup = append(dup, fmt.Sprintf("%s (%d times)", id, n))
			}
		}
		reached := 0
		for id := range count {
			set[id] = true
			if _, ok := stored[id]; ok {
				reached++
			} else {
				extra = append(extra, id)
			}
		}
		sets[ext] = set
		if len(missing) > 0 || len(dup) > 0 || len(extra) > 0 || len(edited) > 0 {
			msg := fmt.Sprintf("%s: %d of %d stored articles reachable over %d documents (%d items)", pfx, reached, len(stored), len(w.Docs), len(w.Items))
			for _, part := range []struct {
				what string
				ids  []string
			}{{"missing", missing}, {"duplicated", dup}, {"not in the store", extra}, {"edited article misplaced", edited}} {
				if len(part.ids) > 0 {
					msg += fmt.Sprintf("; %s %d%s, e.g. %s", part.what, len(part.ids), dateRange(part.ids, stored), example(part.ids))
				}
			}
			out = append(out, msg)
		}
		for i, n := range w.Counts {
			if c.Limit > 0 && n > c.Limit {
				out = append(out, fmt.Sprintf("%s: %s has %d items, over the limit %d", pfx, w.Docs[i], n, c.Limit))
			}
		}
		for _, it := range w.Items {
			a, ok := stored[it.ID]
			if !ok {
				continue
			}
			if it.Published.IsZero() || it.Published.Unix() != a.Published {
				badDate = append(badDate, fmt.Sprintf("%s in %s: published %v, stored %v", it.ID, w.Rels[it.Doc],
					it.Published.UTC().Format(time.RFC3339), time.Unix(a.Published, 0).UTC().Format(time.RFC3339)))
			}
		}
		if len(badDate) > 0 {
			out = append(out, fmt.Sprintf("%s: %d items whose published date is not the store's, e.g. %s", pfx, len(badDate), example(badDate)))
		}
	}
	// The same set in every format.
	for _, ext := range historyFormats[1:] {
		a, b := sets[".rss"], sets[ext]
		if a == nil || b == nil {
			continue
		}
		var onlyA, onlyB []string
		for id := range a {
			if !b[id] {
				onlyA = append(onlyA, id)
			}
		}
		for id := range b {
			if !a[id] {
				onlyB = append(onlyB, id)
			}
		}
		if len(onlyA)+len(onlyB) > 0 {
			out = append(out, fmt.Sprintf("%s: feed %s: rss and %s chains differ: %d only in rss (e.g. %s), %d only in %s (e.g. %s)",
				where, c.Feed, ext[1:], len(onlyA), example(onlyA), len(onlyB), ext[1:], example(onlyB)))
		}
	}
	return out
}

// chainSummary describes walks for a log line.
func chainSummary(walks map[string]*chainWalk) string {
	var parts []string
	for _, ext := range historyFormats {
		w := walks[ext]
		parts = append(parts, fmt.Sprintf("%s: %d documents, %d items", ext[1:], len(w.Docs), len(w.Items)))
	}
	return strings.Join(parts, "; ")
}

// dateRange says when the stored articles among ids were published.
func dateRange(ids []string, stored map[string]storedArticle) string {
	var lo, hi int64
	n := 0
	for _, id := range ids {
		a, ok := stored[id]
		if !ok {
			continue
		}
		if n == 0 || a.Published < lo {
			lo = a.Published
		}
		if n == 0 || a.Published > hi {
			hi = a.Published
		}
		n++
	}
	if n == 0 {
		return ""
	}
	f := func(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }
	return fmt.Sprintf(" (published %s to %s)", f(lo), f(hi))
}

// TestHistoryWalker checks the walker itself on hand-written chains:
// relative and absolute links, a loop, a link outside base_url, and the
// checks' messages.
func TestHistoryWalker(t *testing.T) {
	dir := t.TempDir()
	put := func(rel, body string) { writeFile(t, filepath.Join(dir, filepath.FromSlash(rel)), body) }
	atomDoc := func(prev string, ids ...string) string {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id>`)
		if prev != "" {
			fmt.Fprintf(&b, `<link rel="prev-archive" href="%s"/>`, prev)
		}
		for _, id := range ids {
			fmt.Fprintf(&b, `<entry><id>%s</id><title>%s</title><published>2020-01-01T00:00:00Z</published><updated>2020-01-01T00:00:00Z</updated></entry>`, id, id)
		}
		b.WriteString(`</feed>`)
		return b.String()
	}
	// Relative from the head, absolute from page 2.
	put("a.atom", atomDoc("archive/a-2.atom", "urn:x:3"))
	put("archive/a-2.atom", atomDoc("http://news.example/archive/a-1.atom", "urn:x:2"))
	put("archive/a-1.atom", atomDoc("", "urn:x:1", "urn:x:0"))
	w := walkChain(dirFetcher{dir}, historyBase, "a", ".atom")
	if w.Err != nil || strings.Join(w.ids(), " ") != "urn:x:3 urn:x:2 urn:x:1 urn:x:0" || fmt.Sprint(w.Counts) != "[1 1 2]" ||
		strings.Join(w.Docs, " ") != "http://news.example/a.atom http://news.example/archive/a-2.atom http://news.example/archive/a-1.atom" {
		t.Errorf("walk: ids %v, counts %v, docs %v, err %v", w.ids(), w.Counts, w.Docs, w.Err)
	}
	sec := func(s string) int64 { tm, _ := time.Parse(time.RFC3339, s); return tm.Unix() }
	stored := map[string]storedArticle{}
	for _, id := range []string{"urn:x:0", "urn:x:1", "urn:x:2", "urn:x:3", "urn:x:4"} {
		stored[id] = storedArticle{ID: id, PublicID: id, Published: sec("2020-01-01T00:00:00Z")}
	}
	p := chainProblems("walker", chainCheck{Feed: "a", Limit: 1}, stored, map[string]*chainWalk{".atom": w})
	if len(p) != 2 || !strings.Contains(p[0], "4 of 5 stored articles reachable over 3 documents (4 items); missing 1") ||
		!strings.Contains(p[0], "urn:x:4") || !strings.Contains(p[1], "archive/a-1.atom has 2 items, over the limit 1") {
		t.Errorf("problems:\n%s", strings.Join(p, "\n"))
	}
	// A loop, and a link elsewhere.
	put("b.atom", atomDoc("archive/b-1.atom", "urn:x:1"))
	put("archive/b-1.atom", atomDoc("../b.atom", "urn:x:0"))
	if w := walkChain(dirFetcher{dir}, historyBase, "b", ".atom"); w.Err == nil || !strings.Contains(w.Err.Error(), "loop") {
		t.Errorf("a loop: %v", w.Err)
	}
	put("c.atom", atomDoc("http://elsewhere.example/c-1.atom", "urn:x:1"))
	if w := walkChain(dirFetcher{dir}, historyBase, "c", ".atom"); w.Err == nil || !strings.Contains(w.Err.Error(), "not under base_url") {
		t.Errorf("a link elsewhere: %v", w.Err)
	}
}
