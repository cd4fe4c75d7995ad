package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// upstreamItems decodes an upstream document (any charset, UTF-16 and
// UTF-32 included) and returns its items: a JSON Feed read field by field,
// RSS and Atom read by gofeed after the repairs gofeed needs (a feed
// wrapped in an HTML document, xml:base, base64 text), and broken XML
// (truncated, an unclosed element) recovered up to its last complete
// item. Problems that cost nothing or only part
// of the document are logged; a document with items of which none can be
// read is an error, never an empty feed.
//
// ctx is checked between the steps and inside the long loops of the
// repairs, so a cancelled collection (shutdown) does not wait on a
// hostile document.
func upstreamItems(ctx context.Context, raw []byte, contentType, feedURL string, log *slog.Logger) ([]*gofeed.Item, error) {
	kind := sources.KindXML
	if b := bytes.TrimSpace(raw); len(b) > 0 && b[0] == '{' {
		kind = sources.KindJSON
	}
	body := sources.ToUTF8(raw, contentType, kind)
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		items, notes, err := parseJSONFeed(body)
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			log.Warn("JSON Feed field repaired or ignored", "detail", n)
		}
		return items, nil
	}

	if inner, ok := xmlUnwrapFeed(body); ok {
		log.Info("feed wrapped in an HTML document, reading its feed element")
		body = inner
	}
	body, cut := xmlCapText(body, maxItemContent)
	if cut > 0 {
		log.Warn("feed text over the per-item cap, cut", "count", cut, "cap_bytes", maxItemContent)
	}
	body = xmlRepairBase64(body)
	body = xmlAbsoluteBases(body, feedURL)
	// A document nested too deeply for gofeed goes to the repair, which
	// closes what sloppy feeds leave open (unclosed <p> in an item) and
	// gives up on real depth.
	var items []*gofeed.Item
	err := xmlCheckDepth(ctx, body, maxXMLDepth)
	if err == nil {
		items, err = gofeedItems(body)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	want := xmlCountItems(body)
	if err == nil && len(items) >= want {
		return items, nil
	}
	// Truncated, an element left open, or items gofeed skipped: take
	// every complete item there is, if that is more.
	if fixed, ok := xmlRecover(ctx, body); ok {
		if more, rerr := gofeedItems(fixed); rerr == nil && len(more) > len(items) {
			log.Warn("feed is not well-formed XML, recovered its complete items",
				"count", len(more), "items_seen", want, "error", errString(err))
			return more, nil
		}
	}
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, fmt.Errorf("parsing feed: %w", err)
	case len(items) == 0 && want > 0:
		return nil, fmt.Errorf("parsing feed: %d items in the document, none readable", want)
	case len(items) < want:
		log.Warn("some items of the feed could not be read", "count", len(items), "items_seen", want)
	}
	return items, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// gofeedItems parses an RSS or Atom document with gofeed.
func gofeedItems(body []byte) ([]*gofeed.Item, error) {
	p := gofeed.NewParser()
	p.RSSTranslator = &rssTranslator{gofeed.DefaultRSSTranslator{DisableContentImageScan: true}}
	parsed, err := p.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if parsed.FeedType == "json" {
		return nil, errors.New("a JSON Feed must start with {")
	}
	items := parsed.Items[:0]
	for _, it := range parsed.Items {
		if it != nil {
			items = append(items, it)
		}
	}
	return items, nil
}

// rssTranslator is gofeed's RSS translator with what it leaves out: an
// RSS <guid> is the item's permalink unless it says isPermaLink="false"
// (RSS 2.0), so an item without a <link> takes its guid as link when that
// is a web URL or a path from the site's root. The HTML scan for a first image is off: Herald does not
// use it, and on a large item it costs a full HTML parse.
type rssTranslator struct{ gofeed.DefaultRSSTranslator }

func (t *rssTranslator) Translate(doc any) (*gofeed.Feed, error) {
	out, err := t.DefaultRSSTranslator.Translate(doc)
	rf, _ := doc.(*rss.Feed)
	if err != nil || rf == nil || len(rf.Items) != len(out.Items) {
		return out, err
	}
	for i, ri := range rf.Items {
		it := out.Items[i]
		if it == nil || ri == nil || ri.GUID == nil || strings.TrimSpace(it.Link) != "" || len(it.Links) > 0 {
			continue
		}
		guid := strings.TrimSpace(ri.GUID.Value)
		rooted := strings.HasPrefix(guid, "/") && !strings.HasPrefix(guid, "//") // resolved against the feed, like the ID
		if !strings.EqualFold(strings.TrimSpace(ri.GUID.IsPermalink), "false") && (feed.ParseHTTPURL(guid) != nil || rooted) {
			it.Link = guid
		}
	}
	return out, nil
}

// dctermsDate returns the first Dublin Core terms date an item carries
// under one of names (gofeed files http://purl.org/dc/terms/ under
// "dcterms" and reads none of them).
func dctermsDate(it *gofeed.Item, names ...string) string {
	for _, n := range names {
		if v := extText(it.Extensions["dcterms"][n]); v != "" {
			return v
		}
	}
	return ""
}

// itemStartRE finds the start tags of RSS items and Atom entries.
var itemStartRE = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]`)

// xmlCountItems counts the item and entry start tags of a document: what
// it claims to hold. Markup inside CDATA can inflate the count, which
// only makes a recovery attempt that changes nothing.
func xmlCountItems(body []byte) int {
	return len(itemStartRE.FindAllIndex(body, -1))
}
