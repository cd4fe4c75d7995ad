package server

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FeedStatus is one feed as /healthz and /status report it.
type FeedStatus struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Items int    `json:"items"`
	// Path is the feed's published page ("world.rss"): Changed is read
	// from what the server serves there.
	Path string `json:"-"`
	// Changed is when the feed's bytes last changed, as this process saw
	// it (for a feed unchanged since the process started: its
	// Last-Modified); zero before it is first published.
	Changed time.Time `json:"changed,omitzero"`
}

//go:embed templates/status.html
var statusFS embed.FS

var statusTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"when": func(now, t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := now.Sub(t).Round(time.Second)
		switch {
		case d < 0:
			return "in " + (-d).String()
		case d < time.Second:
			return "now"
		}
		return d.String() + " ago"
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// bars lays out a per-day chart: x, y and height of each bar in a
	// 100×24 box, the tallest day full height.
	"bars": func(days []int) []bar {
		top := 1
		if len(days) > 0 {
			top = max(1, slices.Max(days))
		}
		out := make([]bar, len(days))
		w := 100.0 / float64(max(1, len(days)))
		for i, n := range days {
			h := 24 * float64(n) / float64(top)
			if n > 0 {
				h = max(h, 1)
			}
			out[i] = bar{X: float64(i) * w, W: w * 0.8, Y: 24 - h, H: h, N: n, Ago: len(days) - 1 - i}
		}
		return out
	},
}).ParseFS(statusFS, "templates/status.html"))

// statusPolicy is the status page's Content-Security-Policy: its own
// inline style and nothing else.
var statusPolicy = func() []string {
	b, err := statusFS.ReadFile("templates/status.html")
	if err != nil {
		panic(err)
	}
	_, css, _ := strings.Cut(string(b), "<style>")
	css, _, _ = strings.Cut(css, "</style>")
	return framed("default-src 'none'; style-src " + styleHash(css) + "; base-uri 'none'; form-action 'none'")
}()

type bar struct {
	X, W, Y, H float64
	N, Ago     int
}

// statusPage is what templates/status.html renders.
type statusPage struct {
	Now     time.Time
	Health  health
	Feeds   []FeedStatus
	Version string
}

// serveStatus renders the operator's status page: the detailed /healthz
// as HTML, with a chart of articles per day for each source. It shows
// source errors, so it is served where /healthz's details are (the
// admin listener, or the public one with the admin token).
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	doc := s.healthDoc()
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, statusPage{Now: s.now(), Health: doc, Feeds: doc.Feeds, Version: s.version}); err != nil {
		s.log.Error("rendering status page", "error", err)
		s.text(w, r, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"text/html; charset=utf-8"}
	h["Cache-Control"] = hdrNoStore
	h["Content-Security-Policy"] = statusPolicy
	h["Referrer-Policy"] = hdrNoReferrer
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(http.StatusOK)
	s.metrics.inc(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
