package upstream

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
	"golang.org/x/sync/errgroup"
)

// Limits on an OPML list: it is a list of subscriptions, not a crawl.
const (
	maxOPMLSize  = 4 << 20
	maxOPMLFeeds = 1000
	opmlWorkers  = 8
)

// OPMLConfig configures a source of type opml: every feed an OPML
// document lists (a "planet"), read from a file or fetched from a URL.
type OPMLConfig struct {
	Name string
	Path string // an OPML file; or
	URL  string // an OPML document on the web
	// Timezone is the zone of upstream dates written without one.
	Timezone *time.Location
	// Trailers and Raw are as in Config, for every listed feed.
	Trailers []string
	Raw      bool
}

// OPML collects every feed listed in an OPML document. Each listed feed
// keeps its own state (validators, backoff, first-seen dates) and its last
// good articles in State.Subs, so a feed that fails or has not changed
// keeps its items and fails alone. Listed URLs are content, not
// configuration: they are fetched as content of the document's URL
// (PollFrom), so they cannot reach private addresses unless
// fetch.allow_hosts lists them (or, for a document whose URL has an IP
// address for host, they are on that address).
type OPML struct {
	cfg      OPMLConfig
	fetch    *sources.Fetcher
	log      *slog.Logger
	trailers *extract.Trailers
	Now      func() time.Time
}

var _ sources.Source = (*OPML)(nil)

// NewOPML returns an opml source fetching through f.
func NewOPML(cfg OPMLConfig, f *sources.Fetcher, log *slog.Logger) (*OPML, error) {
	w := sources.WebSpec{Kind: "opml", Name: cfg.Name, URL: cfg.URL, Path: cfg.Path, Fetcher: f, Timezone: cfg.Timezone, Log: log}
	if err := w.Check(); err != nil {
		return nil, err
	}
	cfg.Timezone, log = w.Timezone, w.Log
	tr, err := sourceTrailers(cfg.Trailers, cfg.Raw)
	if err != nil {
		return nil, fmt.Errorf("opml source %s: %w", cfg.Name, err)
	}
	return &OPML{cfg: cfg, fetch: f, log: log, trailers: tr, Now: time.Now}, nil
}

// Name returns the configured name.
func (s *OPML) Name() string { return s.cfg.Name }

// Collect reads the list, then polls every listed feed with its own
// state. It returns every feed's current or last good articles; an error
// joins the failing feeds' errors (a partial result), wraps
// sources.ErrBackoff when every listed feed is backing off (a skip: none
// was fetched), or is the list's own error with no articles.
func (s *OPML) Collect(ctx context.Context, prev sources.State) (sources.Result, error) {
	urls, err := s.list(ctx)
	if err != nil {
		return sources.Result{State: prev}, err
	}
	subs := make([]sources.Sub, len(urls))
	errs := make([]error, len(urls))
	var g errgroup.Group
	g.SetLimit(opmlWorkers)
	for i, u := range urls {
		if ctx.Err() != nil {
			break // the whole collection is abandoned below
		}
		g.Go(func() error {
			subs[i], errs[i] = s.collectOne(ctx, u, prev.Subs[u])
			return nil // each feed fails alone: errs
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return sources.Result{State: prev}, err
	}
	next := sources.State{Subs: make(map[string]sources.Sub, len(urls))}
	articles := []feed.Article{}
	waiting := 0
	var first time.Time
	for i, u := range urls {
		next.Subs[u] = subs[i]
		articles = append(articles, subs[i].Articles...)
		if errors.Is(errs[i], sources.ErrBackoff) {
			waiting++
			if r := subs[i].State.RetryAt; first.IsZero() || r.Before(first) {
				first = r
			}
			errs[i] = nil // this feed chose not to try yet: no new failure
		}
	}
	if waiting > 0 && waiting == len(urls) {
		// Nothing was fetched: a skip, not a success with nothing new,
		// so the source's last error stays on its status.
		return sources.Result{Articles: articles, State: next}, fmt.Errorf("%w: all %d listed feeds, the first again at %s",
			sources.ErrBackoff, waiting, first.UTC().Format(time.RFC3339))
	}
	return sources.Result{Articles: articles, State: next}, errors.Join(errs...)
}

// collectOne polls one listed feed. Its last good articles stay when it
// is unchanged, backing off (an error wrapping sources.ErrBackoff) or
// failing.
func (s *OPML) collectOne(ctx context.Context, u string, prev sources.Sub) (sources.Sub, error) {
	f := &Feed{cfg: Config{Name: s.cfg.Name, URL: u, Timezone: s.cfg.Timezone, Raw: s.cfg.Raw}, fetch: s.fetch, log: s.log.With("url", s.fetch.URL(u)), trailers: s.trailers, Now: s.Now}
	res, err := s.fetch.PollFrom(ctx, u, s.cfg.URL, prev.State, s.Now, f.log, f.parse)
	next := sources.Sub{State: res.State, Articles: prev.Articles}
	if err == nil && !res.Unchanged {
		next.Articles = res.Articles
	}
	return next, err
}

// list reads the OPML document and returns the feed URLs it lists, in
// document order, without repeats.
func (s *OPML) list(ctx context.Context) ([]string, error) {
	var body []byte
	base := s.cfg.URL
	if s.cfg.Path != "" {
		f, err := os.Open(s.cfg.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		body, err = io.ReadAll(io.LimitReader(f, maxOPMLSize+1))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", s.cfg.Path, err)
		}
		if len(body) > maxOPMLSize {
			return nil, fmt.Errorf("%s: larger than %d MiB", s.cfg.Path, maxOPMLSize>>20)
		}
	} else {
		resp, err := s.fetch.Get(ctx, s.cfg.URL, sources.Validators{})
		if err != nil {
			return nil, err
		}
		body, base = resp.Body, resp.URL
	}
	urls, err := parseOPML(body, base)
	if err != nil {
		return nil, err
	}
	if len(urls) > maxOPMLFeeds {
		s.log.Warn("OPML lists too many feeds; collecting the first ones", "count", len(urls), "limit", maxOPMLFeeds)
		urls = urls[:maxOPMLFeeds]
	}
	return urls, nil
}

// parseOPML returns the xmlUrl of every outline of an OPML document, at
// any depth, resolved against base (which may be empty), keeping only
// absolute http(s) URLs, each once, in document order.
func parseOPML(body []byte, base string) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(sources.ToUTF8(body, "", sources.KindXML)))
	dec.Strict = false
	seen := map[string]bool{}
	var urls []string
	root := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing OPML: %w", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root {
			if !strings.EqualFold(el.Name.Local, "opml") {
				return nil, fmt.Errorf("parsing OPML: the document is <%s>, not <opml>", el.Name.Local)
			}
			root = false
		}
		if !strings.EqualFold(el.Name.Local, "outline") {
			continue
		}
		for _, a := range el.Attr {
			if !strings.EqualFold(a.Name.Local, "xmlUrl") {
				continue
			}
			u := strings.TrimSpace(a.Value)
			if base != "" {
				u = sources.ResolveRef(base, u)
			}
			if p := feed.ParseHTTPURL(u); p != nil && !seen[p.String()] {
				seen[p.String()] = true
				urls = append(urls, p.String())
			}
		}
	}
	if root {
		return nil, errors.New("parsing OPML: no <opml> document")
	}
	return urls, nil
}
