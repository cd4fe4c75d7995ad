package upstream

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestXMLUnwrapFeed: a feed element inside an (X)HTML document is cut out
// with the namespace prefixes declared around it; a feed only quoted in a
// page (text, script, comment), and a feed that is not wrapped, are not.
func TestXMLUnwrapFeed(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		ok        bool
		want      string // the document returned, when ok
	}{
		{"atom in xhtml", `<?xml version="1.0"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><body><feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed></body></html>`,
			true, `<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>`},
		{"rss in html, upper case", `<HTML><BODY><rss version="2.0"><channel><item/></channel></rss></BODY></HTML>`,
			true, `<rss version="2.0"><channel><item/></channel></rss>`},
		{"rdf prefix from html", `<html xmlns:rdf="urn:rdf" xmlns:dc="urn:dc"><rdf:RDF xmlns:dc="urn:own"><item/></rdf:RDF></html>`,
			true, `<rdf:RDF xmlns:dc="urn:own" xmlns:rdf="urn:rdf"><item/></rdf:RDF>`},
		{"truncated", `<html><body><feed><entry><title>cut`, true, `<feed><entry><title>cut`},
		{"quoted in text", `<html><body><pre>&lt;rss version="2.0"&gt;&lt;/rss&gt;</pre></body></html>`, false, ""},
		{"in a script", `<html><script>"<rss><channel></channel></rss>"</script></html>`, false, ""},
		{"in a comment", `<html><!-- <feed></feed> --></html>`, false, ""},
		{"plain rss", `<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>`, false, ""},
		{"plain atom", `<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml"><html><feed/></html></content></entry></feed>`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := xmlUnwrapFeed([]byte(tc.doc))
			if ok != tc.ok || string(got) != tc.want {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestHTMLQuotingRSSIsNoFeed: a page about RSS, quoting it, is still an
// error to collect, not an empty feed.
func TestHTMLQuotingRSSIsNoFeed(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "fidelity", "html-quoted-rss.html"))
	if err != nil {
		t.Fatal(err)
	}
	items, err := upstreamItems(context.Background(), body, "text/html", "https://up.example/", slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "parsing feed") {
		t.Errorf("got %d items, error %v; want a parsing error", len(items), err)
	}
}
