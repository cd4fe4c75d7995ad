package feed

import (
	"fmt"
	"io"
	"time"
)

// Format is one output format. The Formats table is the only place that
// lists them: adding a format is adding a row.
type Format struct {
	Name      string // "rss", "atom", "json"; also the config and log name
	Ext       string // file extension and URL suffix, with the dot
	MediaType string // Content-Type without parameters; the output is always UTF-8
	render    func(io.Writer, *Feed) error
}

// The formats Herald publishes.
var (
	RSS  = Format{Name: "rss", Ext: rssExt, MediaType: rssType, render: renderRSS}
	Atom = Format{Name: "atom", Ext: atomExt, MediaType: atomType, render: renderAtom}
	JSON = Format{Name: "json", Ext: jsonExt, MediaType: jsonType, render: renderJSON}

	Formats = []Format{RSS, Atom, JSON}
)

// The renderers refer to these rather than to the Format values, which
// refer to the renderers.
const (
	rssExt, rssType   = ".rss", "application/rss+xml"
	atomExt, atomType = ".atom", "application/atom+xml"
	jsonExt, jsonType = ".json", "application/feed+json"
)

// Render writes fd in format f. The output depends only on fd: no clock,
// no map order, so the same feed renders to the same bytes every time.
func (f Format) Render(w io.Writer, fd *Feed) error {
	if f.render == nil {
		return fmt.Errorf("rendering %s: unknown format", f.Name)
	}
	if err := f.render(w, fd); err != nil {
		return fmt.Errorf("rendering %s as %s: %w", fd.Name, f.Name, err)
	}
	return nil
}

// ContentType is the full Content-Type header value for f.
func (f Format) ContentType() string { return f.MediaType + "; charset=utf-8" }

// utc returns t in UTC at second precision, the resolution every format
// can carry, so all three agree on every date.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
