package feed

import (
	"io"
	"strconv"
	"time"

	"github.com/gorilla/feeds"
)

// gorilla/feeds' generic Atom output is invalid (no published, empty
// updated and links, no rel="self", a category without a term). We fill
// its exported structs ourselves and extend them with what RFC 4287
// requires; outer fields shadow the embedded ones of the same XML name.

type atomFeed struct {
	feeds.AtomFeed
	Lang    string           `xml:"xml:lang,attr,omitempty"`
	Links   []feeds.AtomLink `xml:"link"`
	FHNS    string           `xml:"xmlns:fh,attr,omitempty"`
	Gen     string           `xml:"generator,omitempty"`
	Archive *struct{}        `xml:"fh:archive"`
	Entries []*atomEntry     `xml:"entry"`
}

type atomEntry struct {
	feeds.AtomEntry
	Content    *atomContent   `xml:"content"`
	Categories []atomCategory `xml:"category"`
}

// atomContent writes HTML content as CDATA, as our RSS does, rather than
// entity-escaping every tag: the same text to a parser, half the cost of
// rendering a large feed, and readable.
type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",cdata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

const atomNS = "http://www.w3.org/2005/Atom"

func renderAtom(w io.Writer, fd *Feed) error {
	updated := fd.Updated()
	af := &atomFeed{
		AtomFeed: feeds.AtomFeed{
			Xmlns:    atomNS,
			Title:    fd.Title,
			Id:       fd.currentURL(atomExt), // one feed, whichever document of it
			Updated:  atomDate(updated),
			Subtitle: fd.Description,
			// RFC 4287 4.1.1: a feed needs an author unless every entry
			// has one; crediting the feed is always valid.
			Author: atomAuthor(fd.Author, fd.Title),
		},
		Lang: fd.Language,
		Links: []feeds.AtomLink{
			{Href: fd.selfURL(atomExt), Rel: "self", Type: atomType},
			{Href: fd.Home(), Rel: "alternate", Type: "text/html"},
		},
		Gen:     generator,
		Entries: make([]*atomEntry, 0, len(fd.Items)),
	}
	for _, l := range fd.historyLinks(atomExt) {
		af.Links = append(af.Links, feeds.AtomLink{Href: l.href, Rel: l.rel, Type: atomType})
	}
	if fd.Page > 0 {
		af.FHNS, af.Archive = historyNS, &struct{}{}
	}
	if fd.Hub != "" {
		af.Links = append(af.Links, feeds.AtomLink{Href: fd.Hub, Rel: "hub"})
	}
	for i := range fd.Items {
		a := &fd.Items[i]
		e := &atomEntry{AtomEntry: feeds.AtomEntry{
			Title: a.Title,
			Id:    a.PublicID(),
			// updated is required; an undated item borrows the feed's date.
			Updated: atomDate(orTime(a.lastChange(), updated)),
		}}
		if !a.Published.IsZero() {
			e.Published = atomDate(a.Published)
		}
		if a.URL != "" {
			e.Links = []feeds.AtomLink{{Href: a.URL, Rel: "alternate", Type: "text/html"}}
		}
		for _, enc := range a.Enclosures {
			l := feeds.AtomLink{Href: enc.URL, Rel: "enclosure", Type: enc.Type}
			if enc.Length > 0 {
				l.Length = strconv.FormatInt(enc.Length, 10)
			}
			e.Links = append(e.Links, l)
		}
		if a.Summary != "" {
			e.Summary = &feeds.AtomSummary{Content: a.Summary, Type: "text"}
		}
		if a.Content != "" {
			e.Content = &atomContent{Type: "html", Body: a.Content}
		} else if a.URL == "" {
			// RFC 4287 4.1.1.1: an entry needs content or an alternate
			// link; the text it has stands in.
			e.Content = &atomContent{Type: "text", Body: orDefault(a.Summary, a.Title)}
		}
		if !a.Author.IsZero() {
			e.Author = atomAuthor(a.Author, "")
		}
		for _, t := range a.Tags {
			e.Categories = append(e.Categories, atomCategory{Term: t})
		}
		af.Entries = append(af.Entries, e)
	}
	return writeXML(w, af, fd.Stylesheet)
}

// atomAuthor builds an atom:author, whose name is required: the email
// stands in for a missing name, then def.
func atomAuthor(a Author, def string) *feeds.AtomAuthor {
	name := orDefault(orDefault(a.Name, a.Email), def)
	if name == "" {
		return nil
	}
	return &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: name, Uri: a.URL, Email: a.Email}}
}

// atomDate formats t as an RFC 3339 date; the zero time (a feed with no
// dated item) becomes the Unix epoch, since atom:updated is required and
// must not come from the clock.
func atomDate(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return utc(t).Format(time.RFC3339)
}

func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
