package feed

import (
	"encoding/xml"
	"html"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// gorilla/feeds' RSS output lacks what validators and readers expect of a
// modern feed: an atom:link rel="self", dc:creator for authors without an
// email address, several categories, and guid isPermaLink. We fill its
// exported structs ourselves and extend them here; fields declared in the
// outer struct take precedence over the embedded ones of the same XML name.

type rssDoc struct {
	feeds.RssFeedXml
	AtomNS  string      `xml:"xmlns:atom,attr"`
	DCNS    string      `xml:"xmlns:dc,attr"`
	FHNS    string      `xml:"xmlns:fh,attr,omitempty"`
	Channel *rssChannel `xml:"channel"`
}

type rssChannel struct {
	feeds.RssFeed
	AtomLinks []rssAtomLink `xml:"atom:link"`
	// Archive marks an RFC 5005 archive document.
	Archive *struct{}  `xml:"fh:archive"`
	Items   []*rssItem `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

// rssItem is gorilla's RssItem with the same fields in the same order,
// except that title and link are left out when empty: gorilla always
// writes them, and an empty <link> is an error for the W3C validator.
type rssItem struct {
	XMLName     xml.Name `xml:"item"`
	Title       string   `xml:"title,omitempty"`
	Link        string   `xml:"link,omitempty"`
	Description string   `xml:"description"`
	Content     *feeds.RssContent
	Author      string `xml:"author,omitempty"`
	Enclosure   *feeds.RssEnclosure
	Guid        *feeds.RssGuid
	PubDate     string   `xml:"pubDate,omitempty"`
	Creator     string   `xml:"dc:creator,omitempty"`
	Categories  []string `xml:"category"`
}

func renderRSS(w io.Writer, fd *Feed) error {
	ch := &rssChannel{
		RssFeed: feeds.RssFeed{
			Title:       fd.Title,
			Link:        fd.Home(),
			Description: orDefault(fd.Description, fd.Title),
			Language:    fd.Language,
			Generator:   generator,
		},
		AtomLinks: []rssAtomLink{{Href: fd.selfURL(rssExt), Rel: "self", Type: rssType}},
		Items:     make([]*rssItem, 0, len(fd.Items)),
	}
	for _, l := range fd.historyLinks(rssExt) {
		ch.AtomLinks = append(ch.AtomLinks, rssAtomLink{Href: l.href, Rel: l.rel, Type: rssType})
	}
	if fd.Page > 0 {
		ch.Archive = &struct{}{}
	}
	if fd.Hub != "" {
		ch.AtomLinks = append(ch.AtomLinks, rssAtomLink{Href: fd.Hub, Rel: "hub"})
	}
	if u := fd.Updated(); !u.IsZero() {
		ch.PubDate = rssDate(u)
		ch.LastBuildDate = ch.PubDate
	}
	for i := range fd.Items {
		a := &fd.Items[i]
		it := &rssItem{
			Title: a.Title,
			Link:  a.URL,
			// description is entity-encoded HTML in RSS; our summary is
			// plain text, so it is escaped once for HTML here and once
			// more for XML by the encoder.
			Description: html.EscapeString(a.Summary),
			Guid:        &feeds.RssGuid{Id: a.PublicID(), IsPermaLink: "false"},
			Creator:     a.Author.Name,
			Categories:  a.Tags,
		}
		if len(a.Enclosures) > 0 {
			e := a.Enclosures[0]
			it.Enclosure = &feeds.RssEnclosure{Url: e.URL, Type: e.Type, Length: strconv.FormatInt(e.Length, 10)}
		}
		if a.ID == a.URL {
			it.Guid.IsPermaLink = "true"
		}
		if a.Content != "" {
			it.Content = &feeds.RssContent{Content: a.Content}
		}
		if a.Author.Email != "" {
			// RSS 2.0 author is an email address, optionally with a name.
			it.Author = a.Author.Email
			if a.Author.Name != "" {
				it.Author += " (" + a.Author.Name + ")"
			}
		}
		if !a.Published.IsZero() {
			it.PubDate = rssDate(a.Published)
		}
		ch.Items = append(ch.Items, it)
	}
	doc := rssDoc{
		RssFeedXml: feeds.RssFeedXml{Version: "2.0", ContentNamespace: "http://purl.org/rss/1.0/modules/content/"},
		AtomNS:     "http://www.w3.org/2005/Atom",
		DCNS:       "http://purl.org/dc/elements/1.1/",
		Channel:    ch,
	}
	if fd.Page > 0 {
		doc.FHNS = historyNS
	}
	return writeXML(w, doc, fd.Stylesheet)
}

func rssDate(t time.Time) string { return utc(t).Format(time.RFC1123Z) }

// generator names Herald in every feed; no version, so upgrades alone do
// not change the bytes (and so the ETags) of unchanged feeds.
const generator = "Herald"

// writeXML writes the XML declaration, the stylesheet processing
// instruction when css is set, and v. CSS rather than XSLT: browsers are
// removing XSLT (Chromium already shows a deprecation banner over its
// output), while CSS applies to XML everywhere.
func writeXML(w io.Writer, v any, css string) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	if css != "" {
		// The href is a pseudo-attribute: EscapeText escapes quotes,
		// ampersands and angle brackets, so "?>" cannot end the
		// instruction early.
		var href strings.Builder
		if err := xml.EscapeText(&href, []byte(css)); err != nil {
			return err
		}
		if _, err := io.WriteString(w, `<?xml-stylesheet type="text/css" href="`+href.String()+`"?>`+"\n"); err != nil {
			return err
		}
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
