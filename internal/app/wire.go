package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/collect"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/scheduler"
	"github.com/heraldfeed/herald/internal/site"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/postgres"
	"github.com/heraldfeed/herald/internal/store/sqlite"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/local"
	"github.com/heraldfeed/herald/sources/upstream"
	"github.com/heraldfeed/herald/sources/webpage"
)

// SetDataDir sets the run's override of the config's data_dir: the flag
// --data-dir, else HERALD_DATA_DIR, so packaging (an image, a unit) can
// give Herald its state folder without editing a read-only config.
// Relative paths are the working directory's.
func (e *Env) SetDataDir(flagValue string) {
	d := flagValue
	if d == "" {
		d = os.Getenv("HERALD_DATA_DIR")
	}
	if d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
	}
	e.dataDir = d
}

// loadConfig loads the configuration at path for this run: with the
// data_dir override applied, and its secrets hidden in everything the run
// prints from now on.
func (e *Env) loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, UsageError{Msg: fmt.Sprintf("config file %s not found: write a starter one with `herald init --config %s`, or name yours with --config FILE", path, path), Brief: true}
	}
	if err != nil {
		return nil, ConfigError{err}
	}
	if e.dataDir != "" {
		cfg.DataDir = e.dataDir
	}
	e.hide(secretsOf(cfg))
	return cfg, nil
}

// secretsOf is what cfg makes secret besides the built-in parameters: its
// redact_params, and the secrets its values came with.
func secretsOf(cfg *config.Config) sources.Secrets {
	sec := cfg.Secrets()
	return sources.Secrets{Params: append(slices.Clone(cfg.RedactParams), sec.Params...), Values: sec.Values, URLs: sec.URLs}
}

// redactorFor is the Redactor of cfg's secrets.
func redactorFor(cfg *config.Config) *sources.Redactor { return sources.NewRedactor(secretsOf(cfg)) }

// bothSecrets is what a run hides while two configurations may print:
// the running one, and one it loaded but could not switch to.
func bothSecrets(a, b sources.Secrets) sources.Secrets {
	return sources.Secrets{
		Params: slices.Concat(a.Params, b.Params), Values: slices.Concat(a.Values, b.Values), URLs: slices.Concat(a.URLs, b.URLs),
	}
}

// newSite turns the config's site and feeds into what package site renders.
// Regexps were compiled once by Validate; compiling again cannot fail.
func newSite(cfg *config.Config) (site.Site, error) {
	out := site.Site{
		Title:       cfg.Title,
		Description: cfg.Description,
		BaseURL:     cfg.BaseURL,
		Language:    cfg.Language,
		Author:      feed.Author{Name: cfg.Author},
		Hub:         cfg.WebSub.Hub,
	}
	for _, f := range cfg.Feeds {
		filter := feed.Filter{MaxAge: f.MaxAge, Limit: f.Limit}
		for _, expr := range f.Include {
			re, err := regexp.Compile(expr)
			if err != nil {
				return out, ConfigError{fmt.Errorf("feed %s: include %q: %w", f.Name, expr, err)}
			}
			filter.Include = append(filter.Include, re)
		}
		for _, expr := range f.Exclude {
			re, err := regexp.Compile(expr)
			if err != nil {
				return out, ConfigError{fmt.Errorf("feed %s: exclude %q: %w", f.Name, expr, err)}
			}
			filter.Exclude = append(filter.Exclude, re)
		}
		out.Feeds = append(out.Feeds, site.FeedSpec{
			Name: f.Name, Title: f.Title, Description: f.Description, Language: f.Language,
			Sources: f.Sources, Filter: filter,
		})
	}
	return out, nil
}

// pipeline is one configuration's collecting and rendering: the
// collector runs the sources, the builder renders the site from their
// articles.
type pipeline struct {
	col   *collect.Collector
	site  *site.Builder
	keys  []string          // the sources' store keys, in configuration order
	names []string          // the sources' names, in configuration order
	types map[string]string // source name → type, for /status
	feeds *feedBook         // what the builds said about each feed
	// sched runs the sources under serve (nil under generate); /status
	// asks it for their next runs. Set once, before the pipeline is
	// shared.
	sched *scheduler.Scheduler
	// redact hides the configuration's secrets in what the pipeline
	// reports (/healthz, /status).
	redact *sources.Redactor
}

// newPipeline builds the site, one source per configured source (web
// sources share one Fetcher, so per-host limits are global) and the
// collector over them, committing to store's log, which the site is
// derived from.
//
// gate, if not nil, is asked before every upstream request (a replica's
// leader: whether its lease still holds).
func newPipeline(cfg *config.Config, log *slog.Logger, m *collect.Metrics, st store.Store, gate func() error) (*pipeline, error) {
	if st == nil {
		st = store.NewMemory()
	}
	s, err := newSite(cfg)
	if err != nil {
		return nil, err
	}
	red := redactorFor(cfg)
	fetcher, err := newFetcher(cfg, log, gate, red)
	if err != nil {
		return nil, err
	}
	p := &pipeline{types: map[string]string{}, feeds: newFeedBook(cfg.Feeds), redact: red}
	var entries []collect.Entry
	for _, sc := range cfg.Sources {
		src, err := newSource(sc, cfg.BaseURL, fetcher, log.With("source", sc.Name))
		if err != nil {
			return nil, ConfigError{fmt.Errorf("source %s: %w", sc.Name, err)}
		}
		key := sourceKey(sc, cfg.BaseURL)
		entries = append(entries, collect.Entry{Source: src, Key: key, Retention: store.Retention{Keep: sc.Keep, KeepFor: sc.KeepFor}, Fresh: fresh(cfg, sc.Name)})
		p.keys, p.names = append(p.keys, key), append(p.names, sc.Name)
		p.types[sc.Name] = string(sc.Type)
	}
	p.col, err = collect.New(collect.Options{Sources: entries, Store: st, Logger: log, Metrics: m, Secrets: p.redact})
	if err != nil {
		return nil, ConfigError{err}
	}
	opts := site.Options{Log: st, FeedItems: func(name string, n int) {
		p.feeds.setItems(name, n)
		if m != nil {
			m.FeedItems(name, n)
		}
	}}
	p.site = site.New(s, opts)
	return p, nil
}

// newFetcher is the one Fetcher of a configuration's web sources.
func newFetcher(cfg *config.Config, log *slog.Logger, gate func() error, red *sources.Redactor) (*sources.Fetcher, error) {
	ua := cfg.Fetch.UserAgent
	if ua == "" {
		ua = "Herald/" + BuildInfo().Version + " (+https://github.com/heraldfeed/herald)"
	}
	fetcher, err := sources.NewFetcher(sources.FetchConfig{
		UserAgent:      ua,
		Timeout:        cfg.Fetch.Timeout,
		ConnectTimeout: cfg.Fetch.ConnectTimeout,
		MaxBody:        int64(cfg.Fetch.MaxBody),
		Retries:        cfg.Fetch.Retries,
		PerHost:        cfg.Fetch.PerHost,
		AllowHosts:     cfg.Fetch.AllowHosts,
		Redact:         red,
		Gate:           gate,
	}, log)
	if err != nil {
		return nil, ConfigError{fmt.Errorf("fetch: %w", err)}
	}
	return fetcher, nil
}

// sourceKey is the key a source's record is stored under: its name and a
// hash of the canonical (JSON) encoding of its configuration and of the
// base URL its articles' links depend on. A reload that leaves them alone
// finds the source's state again; any change starts it fresh.
func sourceKey(sc config.Source, baseURL string) string {
	// Retention is not the source's output: changing it keeps the state.
	sc.Keep, sc.KeepFor = 0, 0
	b, err := json.Marshal(struct {
		Source  config.Source
		BaseURL string
	}{sc, baseURL})
	if err != nil {
		panic(err) // plain strings, bools and slices always encode
	}
	sum := sha256.Sum256(b)
	return sc.Name + "@" + hex.EncodeToString(sum[:12])
}

// build renders the site from the collector's current articles.
func (p *pipeline) build(ctx context.Context, now time.Time, publish publishFunc) ([]feed.File, error) {
	files, err := p.site.Build(ctx, siteInputs(p.col), now, publish)
	return files, err
}

// siteInputs is what a build reads of the collector's sources.
func siteInputs(col *collect.Collector) []site.Input {
	snaps := col.Snapshots()
	inputs := make([]site.Input, len(snaps))
	for i, s := range snaps {
		inputs[i] = site.Input{Name: s.Name, Collected: s.Collected, OK: s.OK}
	}
	return inputs
}

func newSource(sc config.Source, baseURL string, fetcher *sources.Fetcher, log *slog.Logger) (sources.Source, error) {
	tz := time.UTC
	if sc.Timezone != "" {
		loc, err := time.LoadLocation(sc.Timezone)
		if err != nil {
			return nil, fmt.Errorf("timezone: %w", err)
		}
		tz = loc
	}
	switch sc.Type {
	case config.TypeFiles:
		return local.New(local.Config{Name: sc.Name, Path: sc.Path, BaseURL: baseURL, Trailers: sc.Trailers, Raw: !sc.CleanContent(), FollowSymlinks: sc.FollowSymlinks}, log)
	case config.TypeFeed:
		return upstream.New(upstream.Config{Name: sc.Name, URL: sc.URL, Timezone: tz, FullText: sc.FullText, Trailers: sc.Trailers, Raw: !sc.CleanContent()}, fetcher, log)
	case config.TypeOPML:
		return upstream.NewOPML(upstream.OPMLConfig{Name: sc.Name, Path: sc.Path, URL: sc.URL, Timezone: tz, Trailers: sc.Trailers, Raw: !sc.CleanContent()}, fetcher, log)
	case config.TypePage:
		return webpage.New(webpage.Config{
			Name: sc.Name, URL: sc.URL, Item: sc.Item, Title: sc.Title, Link: sc.Link, Date: sc.Date,
			Summary: sc.Summary, DateFormats: sc.DateFormat, Timezone: tz, FullText: sc.FullText,
			Trailers: sc.Trailers, Raw: !sc.CleanContent(),
		}, fetcher, log)
	}
	return nil, fmt.Errorf("unknown type %q", sc.Type)
}

// fresh is how many of a source's newest places an edit leaves where
// they are (store.Collection.Fresh): the smallest limit of the feeds
// with archives that carry it, whose head documents publish those.
func fresh(cfg *config.Config, source string) int {
	n := 0
	for _, f := range cfg.Feeds {
		if f.Limit > 0 && slices.Contains(f.Sources, source) && (n == 0 || f.Limit < n) {
			n = f.Limit
		}
	}
	return n
}

// openStore opens the store cfg names: the SQLite database in data_dir,
// or the PostgreSQL database of store (shared by replicas); or returns a
// Memory store when noStore asks for a run that remembers nothing.
func openStore(ctx context.Context, cfg *config.Config, noStore bool) (store.Store, error) {
	switch {
	case noStore:
		return store.NewMemory(), nil
	case cfg.Postgres():
		st, err := postgres.Open(ctx, cfg.Store, cfg.ReplicaLease)
		if err != nil {
			return nil, StoreError{err}
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, StoreError{err}
	}
	return st, nil
}
