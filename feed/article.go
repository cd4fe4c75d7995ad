package feed

import (
	"strconv"
	"time"
)

// Author is the person credited for an article or a feed.
type Author struct {
	Name  string
	Email string
	URL   string
}

// IsZero reports whether a has no name, email or URL.
func (a Author) IsZero() bool { return a.Name == "" && a.Email == "" && a.URL == "" }

// Article is one item as collected from a source, and, after Normalize, as
// published in every feed format.
type Article struct {
	// ID is the stable, unique identifier of the article, as its source
	// gave it; PublicID is the IRI every format publishes for it. It must
	// not change when the article is edited.
	ID string
	// URL is the article's permanent link (absolute after Normalize).
	URL string
	// Base, when set, is the URL relative links in URL and Content are
	// resolved against before URL is; for example the page an item was
	// scraped from.
	Base string
	// Page is the site-relative path (for example "articles/x-1a2b3c4d.html")
	// where Herald renders an HTML page for the article, for local articles
	// that have no URL of their own; empty otherwise.
	Page string

	Title   string // plain text
	Author  Author
	Summary string // plain text after Normalize
	Content string // sanitized HTML after Normalize
	Tags    []string
	// Enclosures are media files attached to the article (a podcast
	// episode, say). RSS 2.0 carries only the first.
	Enclosures []Enclosure

	// Published is when the article first appeared; Updated when it last
	// changed. Normalize fills either from the other and truncates both to
	// the second in UTC.
	Published time.Time
	Updated   time.Time

	// Source names the configured source the article came from. It is not
	// rendered.
	Source string
}

// Enclosure is a media file attached to an article.
type Enclosure struct {
	URL    string
	Type   string // media type; Normalize defaults it to application/octet-stream
	Length int64  // bytes; 0 when unknown
}

// Feed is one published feed: its metadata and its items, newest first.
type Feed struct {
	// Name is the file stem: the feed is served as NAME.rss, NAME.atom and
	// NAME.json under BaseURL.
	Name        string
	Title       string
	Description string
	Language    string // BCP 47 tag, optional
	Author      Author // credited at feed level; Atom needs one when an item has none

	// BaseURL is the public root URL the feed files are served under,
	// ending in "/". Self links are BaseURL + Name + format extension.
	BaseURL string
	// HomeURL is the human-readable page the feed belongs to; BaseURL when empty.
	HomeURL string
	// Stylesheet, when set, is the href of a CSS stylesheet the RSS and
	// Atom documents name in an <?xml-stylesheet?> processing instruction,
	// so a browser that shows the XML shows it styled. Readers ignore it.
	Stylesheet string
	// Hub, when set, is the WebSub hub announced with rel="hub" (RSS and
	// Atom) or "hubs" (JSON Feed), next to the rel="self" topic URL.
	Hub string

	Items []Article

	// Page places the document in its feed's RFC 5005 archive chain: 0 is
	// the feed itself (the subscription document), k > 0 the archive
	// document at ArchivePath(Name, k, ext).
	Page int
	// PrevPage is the archive document holding the items just older than
	// these (rel="prev-archive"; JSON Feed's next_url); 0 for none.
	PrevPage int
}

// ArchivePath is the site-relative path of archive document page of feed
// name in the format with extension ext.
func ArchivePath(name string, page int, ext string) string {
	return "archive/" + name + "-" + strconv.Itoa(page) + ext
}

// selfURL returns the URL the document is served at with extension ext.
func (fd *Feed) selfURL(ext string) string {
	if fd.Page > 0 {
		return fd.pageURL(fd.Page, ext)
	}
	return fd.currentURL(ext)
}

// currentURL is the feed's own URL (RFC 5005's current, subscription
// document).
func (fd *Feed) currentURL(ext string) string { return fd.BaseURL + fd.Name + ext }

func (fd *Feed) pageURL(page int, ext string) string {
	return fd.BaseURL + ArchivePath(fd.Name, page, ext)
}

// historyNS is RFC 5005's namespace, for <fh:archive/>.
const historyNS = "http://purl.org/syndication/history/1.0"

// historyLink is one RFC 5005 link of fd.
type historyLink struct{ rel, href string }

// historyLinks returns the RFC 5005 links of fd in the format with
// extension ext: current for an archive document, prev-archive where
// there is an older one. No next-archive: a full archive document never
// changes, and when it fills its newer neighbour does not exist yet.
func (fd *Feed) historyLinks(ext string) []historyLink {
	var out []historyLink
	if fd.Page > 0 {
		out = append(out, historyLink{"current", fd.currentURL(ext)})
	}
	if fd.PrevPage > 0 {
		out = append(out, historyLink{"prev-archive", fd.pageURL(fd.PrevPage, ext)})
	}
	return out
}

// Home returns HomeURL, falling back to BaseURL.
func (fd *Feed) Home() string {
	if fd.HomeURL != "" {
		return fd.HomeURL
	}
	return fd.BaseURL
}

// Updated returns when the feed's content last changed: the newest
// Updated (or Published) date of its items, or the zero time for a feed
// with no dated items. It never reads the clock, so renders are
// reproducible.
func (fd *Feed) Updated() time.Time {
	var t time.Time
	for i := range fd.Items {
		if u := fd.Items[i].lastChange(); u.After(t) {
			t = u
		}
	}
	return t
}

func (a *Article) lastChange() time.Time {
	if a.Updated.After(a.Published) {
		return a.Updated
	}
	return a.Published
}
