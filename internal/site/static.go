package site

import (
	"bytes"
	"embed"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/heraldfeed/herald/feed"
)

//go:embed static/feed.css
var staticFS embed.FS

// Paths of the files every site has besides its feeds and pages.
const (
	stylesheetPath = "feed.css"    // named by the RSS and Atom documents
	faviconPath    = "favicon.ico" // asked for by every browser
)

// feedPagePath is the readable HTML page of a feed.
func feedPagePath(name string) string { return name + ".html" }

// staticFiles are the stylesheet and the favicon: the same bytes for every
// site, so they never change a build's output.
var staticFiles = func() []feed.File {
	css, err := staticFS.ReadFile("static/" + stylesheetPath)
	if err != nil {
		panic(err) // embedded at build time
	}
	return []feed.File{
		{Path: stylesheetPath, MediaType: "text/css; charset=utf-8", Body: css},
		{Path: faviconPath, MediaType: "image/x-icon", Body: favicon()},
	}
}()

// favicon draws the usual feed icon (white dot and two arcs on orange,
// 32×32) and wraps the PNG in an ICO container, which every browser reads.
func favicon() []byte {
	const size = 32
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	orange, white := color.NRGBA{0xf2, 0x8c, 0x28, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := range size {
		for x := range size {
			// Distance from the bottom-left corner, in the icon's units.
			dx, dy := float64(x)-6.5, float64(size-1-y)-6.5
			r := math.Hypot(dx, dy)
			c := orange
			if r < 3.5 || dx >= -1 && dy >= -1 && (r > 11 && r < 15.5 || r > 19.5 && r < 24) {
				c = white
			}
			// Rounded corners.
			cx, cy := math.Min(float64(x), float64(size-1-x)), math.Min(float64(y), float64(size-1-y))
			if cx < 4 && cy < 4 && math.Hypot(4-cx, 4-cy) > 4.5 {
				c = color.NRGBA{}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		panic(fmt.Sprintf("encoding favicon: %v", err)) // cannot fail on an in-memory image
	}
	var b bytes.Buffer
	// ICONDIR, one ICONDIRENTRY, then the PNG (allowed since Windows Vista,
	// and by every browser).
	binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, 1})
	b.Write([]byte{size, size, 0, 0})
	binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
	binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(p.Len()), 6 + 16})
	b.Write(p.Bytes())
	return b.Bytes()
}

// renderFeedPage renders NAME.html, the page a person reading about the
// feed sees: what a feed is, the addresses to copy, the newest articles.
func renderFeedPage(site *Site, fd *feed.Feed) (feed.File, error) {
	type link struct {
		formatLink
		URL string // absolute, to copy into a reader
	}
	var links []link
	for _, l := range feedLinks(site, []*feed.Feed{fd}, "", 0)[0].Links {
		links = append(links, link{l, site.BaseURL + l.Href})
	}
	data := struct {
		Site  *Site
		Lang  string
		Feed  *feed.Feed
		Links []link
	}{site, orDefault(orDefault(fd.Language, site.Language), "en"), &feed.Feed{
		Title: fd.Title, Description: fd.Description, Items: fd.Items[:min(20, len(fd.Items))],
	}, links}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "feed.html", data); err != nil {
		return feed.File{}, fmt.Errorf("rendering %s: %w", feedPagePath(fd.Name), err)
	}
	return feed.File{Path: feedPagePath(fd.Name), MediaType: htmlType, Body: buf.Bytes(), Modified: fd.Updated()}, nil
}
