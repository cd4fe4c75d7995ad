package site

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/heraldfeed/herald/feed"
	"golang.org/x/sync/errgroup"
)

// Site describes what is published: the site's metadata and its feeds.
type Site struct {
	Title       string
	Description string
	BaseURL     string // public root URL, ending in "/"
	Language    string
	Author      feed.Author
	Feeds       []FeedSpec
	Hub         string // a WebSub hub the feeds announce; optional
}

// FeedSpec is one feed: its metadata, the sources it merges and the
// filter that selects its items.
type FeedSpec struct {
	Name        string
	Title       string
	Description string
	Language    string
	Sources     []string
	Filter      feed.Filter
}

const htmlType = "text/html; charset=utf-8"

//go:embed templates/*.html
var templateFS embed.FS

// PagePolicy is the Content-Security-Policy of the HTML pages Herald
// writes, in each page's <meta http-equiv> and, from `herald serve`, as
// a header too: its inline style (allowed by hash), images and media
// from anywhere on the web (article content shows them), and no script,
// plugin, <base> or form. frame-ancestors, which a <meta> policy cannot
// carry, is left to the header.
var PagePolicy = func() string {
	b, err := templateFS.ReadFile("templates/style.html")
	if err != nil {
		panic(err)
	}
	// The style is literal text, no template action: the file's bytes are
	// what every page carries.
	_, css, _ := strings.Cut(string(b), "<style>")
	css, _, _ = strings.Cut(css, "</style>")
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; img-src 'self' http: https:; media-src 'self' http: https:; style-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
}()

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"csp":  func() string { return PagePolicy },
	"date": func(t time.Time) string { return t.UTC().Format("2 January 2006") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// Content was sanitized by feed.Normalize; it is trusted from here on.
	"trusted": func(s string) template.HTML { return template.HTML(s) },
}).ParseFS(templateFS, "templates/*.html"))

// renderDoc renders items, already selected, as document page of spec's
// feed (0: the feed itself) whose prev-archive is page prev (0: none).
func renderDoc(site *Site, spec *FeedSpec, items []feed.Article, page, prev int) ([]feed.File, *feed.Feed, error) {
	fd := &feed.Feed{
		Name:        spec.Name,
		Title:       spec.Title,
		Description: spec.Description,
		Language:    orDefault(spec.Language, site.Language),
		Author:      site.Author,
		BaseURL:     site.BaseURL,
		Items:       items,
		Page:        page,
		PrevPage:    prev,
	}
	// The stylesheet is relative: the feed sits at the site's root, its
	// archive documents a folder down. The feed itself is the WebSub
	// topic; archive documents never change, so they announce no hub.
	if page == 0 {
		fd.Stylesheet, fd.Hub = stylesheetPath, site.Hub
	} else {
		fd.Stylesheet = pagePrefix(feed.ArchivePath(spec.Name, page, "")) + stylesheetPath
	}
	if fd.Author.IsZero() {
		fd.Author.Name = site.Title
	}
	// The formats render independently; on a large feed doing them at
	// once is most of the rendering time saved.
	files := make([]feed.File, len(feed.Formats))
	errs := make([]error, len(feed.Formats))
	var wg sync.WaitGroup
	for i, f := range feed.Formats {
		wg.Go(func() {
			var buf bytes.Buffer
			buf.Grow(sizeHint(fd))
			errs[i] = f.Render(&buf, fd)
			path := spec.Name + f.Ext
			if page > 0 {
				path = feed.ArchivePath(spec.Name, page, f.Ext)
			}
			files[i] = feed.File{Path: path, MediaType: f.ContentType(), Body: buf.Bytes(), Modified: fd.Updated()}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return files, fd, nil
}

type feedLink struct {
	Title, Description string
	Page               string // the feed's readable page, relative like Links
	Links              []formatLink
	Items              []feed.Article
}

type formatLink struct {
	Name, MediaType, Href string
	// TypeAttr is the type attribute, whole: html/template would write the
	// "+" of a media type as "&#43;", which some autodiscovery parsers do
	// not decode. Media types come from feed.Formats, never from input.
	TypeAttr template.HTMLAttr
}

// feedLinks lists every feed in every format, with hrefs relative to the
// site root (prefix is how a page reaches the root), so the output works
// wherever the folder is served.
func feedLinks(site *Site, feeds []*feed.Feed, prefix string, recent int) []feedLink {
	out := make([]feedLink, 0, len(feeds))
	for _, fd := range feeds {
		l := feedLink{Title: fd.Title, Description: fd.Description, Page: prefix + feedPagePath(fd.Name)}
		for _, f := range feed.Formats {
			l.Links = append(l.Links, formatLink{
				Name: formatLabel[f.Name], MediaType: f.MediaType, Href: prefix + fd.Name + f.Ext,
				TypeAttr: template.HTMLAttr(`type="` + f.MediaType + `"`),
			})
		}
		l.Items = fd.Items[:min(recent, len(fd.Items))]
		out = append(out, l)
	}
	return out
}

var formatLabel = map[string]string{"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}

// renderIndex renders index.html: the feeds, their autodiscovery links and
// their newest items.
func renderIndex(site *Site, feeds []*feed.Feed) (feed.File, error) {
	var modified time.Time
	for _, fd := range feeds {
		if u := fd.Updated(); u.After(modified) {
			modified = u
		}
	}
	data := struct {
		Site  *Site
		Lang  string
		Feeds []feedLink
	}{site, orDefault(site.Language, "en"), feedLinks(site, feeds, "", 10)}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "index.html", data); err != nil {
		return feed.File{}, fmt.Errorf("rendering index.html: %w", err)
	}
	return feed.File{Path: "index.html", MediaType: htmlType, Body: buf.Bytes(), Modified: modified}, nil
}

// sizeHint estimates a rendered feed's size, so its buffer grows once:
// the text of every item (content escaped for XML grows by about a
// fifth) plus markup.
func sizeHint(fd *feed.Feed) int {
	n := 4096
	for i := range fd.Items {
		a := &fd.Items[i]
		n += 1024 + len(a.Title) + len(a.Summary) + len(a.Content)*6/5
	}
	return n
}

// renderPage renders the HTML page of a local article; head is the part
// of <head> all pages at its depth share.
func renderPage(site *Site, head template.HTML, a *feed.Article) (feed.File, error) {
	data := struct {
		Site    *Site
		Lang    string
		Article *feed.Article
		Home    string
		Head    template.HTML
	}{site, orDefault(site.Language, "en"), a, orDefault(pagePrefix(a.Page), "./"), head}
	var buf bytes.Buffer
	buf.Grow(2048 + len(a.Content))
	if err := templates.ExecuteTemplate(&buf, "page.html", data); err != nil {
		return feed.File{}, fmt.Errorf("rendering page of %s: %w", a.ID, err)
	}
	return feed.File{Path: a.Page, MediaType: htmlType, Body: buf.Bytes(), Modified: a.Updated, Source: a.Source}, nil
}

// pagePrefix is how a page at path reaches the site root.
func pagePrefix(path string) string { return strings.Repeat("../", strings.Count(path, "/")) }

// renderPages renders the pages of articles, spread over the CPUs. The
// <head> links to every feed, the same for all pages at one depth, are
// rendered once per depth rather than once per page.
func renderPages(site *Site, feeds []*feed.Feed, articles []*feed.Article) ([]feed.File, error) {
	heads := map[string]template.HTML{}
	for _, a := range articles {
		prefix := pagePrefix(a.Page)
		if _, ok := heads[prefix]; ok {
			continue
		}
		var buf bytes.Buffer
		head := struct {
			Prefix string
			Feeds  []feedLink
		}{prefix, feedLinks(site, feeds, prefix, 0)}
		if err := templates.ExecuteTemplate(&buf, "head", head); err != nil {
			return nil, fmt.Errorf("rendering page head: %w", err)
		}
		heads[prefix] = template.HTML(buf.String())
	}
	files := make([]feed.File, len(articles))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, a := range articles {
		g.Go(func() error {
			var err error
			files[i], err = renderPage(site, heads[pagePrefix(a.Page)], a)
			return err
		})
	}
	return files, g.Wait()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
