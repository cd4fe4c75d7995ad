package site

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// opmlPath lists every feed for a reader to subscribe to all at once.
const opmlPath = "feeds.opml"

// OPML 2.0 (http://opml.org/spec2.opml), what feed readers import: one
// outline per feed, type "rss" (the spec's word for any feed), its RSS
// and its page.
type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title"`
	Created string        `xml:"head>dateModified,omitempty"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Type        string `xml:"type,attr"`
	Text        string `xml:"text,attr"`
	Title       string `xml:"title,attr"`
	Description string `xml:"description,attr,omitempty"`
	XMLURL      string `xml:"xmlUrl,attr"`
	HTMLURL     string `xml:"htmlUrl,attr"`
	Language    string `xml:"language,attr,omitempty"`
}

// renderOPML renders feeds.opml. URLs are absolute (base_url): readers
// import the file on its own, away from the site.
func renderOPML(site *Site, feeds []*feed.Feed) (feed.File, error) {
	doc := opmlDoc{Version: "2.0", Title: site.Title}
	var modified time.Time
	for _, fd := range feeds {
		doc.Body = append(doc.Body, opmlOutline{
			Type: "rss", Text: fd.Title, Title: fd.Title, Description: fd.Description, Language: fd.Language,
			XMLURL: site.BaseURL + fd.Name + feed.RSS.Ext, HTMLURL: site.BaseURL + feedPagePath(fd.Name),
		})
		if u := fd.Updated(); u.After(modified) {
			modified = u
		}
	}
	if !modified.IsZero() {
		doc.Created = modified.UTC().Format(time.RFC1123Z)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return feed.File{}, fmt.Errorf("rendering %s: %w", opmlPath, err)
	}
	buf.WriteByte('\n')
	return feed.File{Path: opmlPath, MediaType: "text/x-opml; charset=utf-8", Body: buf.Bytes(), Modified: modified}, nil
}
