package main

import (
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/publish"
	"github.com/heraldfeed/herald/sources"
)

// version is stamped into the User-Agent; set with -ldflags "-X main.version=…".
var version = "0.1"

func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, configError{err}
	}
	redactor.Store(sources.NewRedactor(cfg.RedactParams...))
	return cfg, nil
}

// newSite turns the config's site and feeds into what publish renders.
// Regexps were compiled once by Validate; compiling again cannot fail.
func newSite(cfg *config.Config) (publish.Site, error) {
	site := publish.Site{
		Title:       cfg.Title,
		Description: cfg.Description,
		BaseURL:     cfg.BaseURL,
		Language:    cfg.Language,
		Author:      feed.Author{Name: cfg.Author},
	}
	for _, f := range cfg.Feeds {
		filter := feed.Filter{MaxAge: f.MaxAge, Limit: f.Limit}
		for _, expr := range f.Include {
			re, err := regexp.Compile(expr)
			if err != nil {
				return site, configError{fmt.Errorf("feed %s: include %q: %w", f.Name, expr, err)}
			}
			filter.Include = append(filter.Include, re)
		}
		for _, expr := range f.Exclude {
			re, err := regexp.Compile(expr)
			if err != nil {
				return site, configError{fmt.Errorf("feed %s: exclude %q: %w", f.Name, expr, err)}
			}
			filter.Exclude = append(filter.Exclude, re)
		}
		site.Feeds = append(site.Feeds, publish.FeedSpec{
			Name: f.Name, Title: f.Title, Description: f.Description, Language: f.Language,
			Sources: f.Sources, Filter: filter,
		})
	}
	return site, nil
}

// sourceSet is what newSources built, kept so a reloaded configuration can
// reuse the collectors whose configuration did not change: their memory
// (first-seen dates, conditional-GET validators, failure backoff, cached
// full text) lives in them until the store issue lands.
type sourceSet struct {
	fetch        config.Fetch
	baseURL      string
	redactParams []string
	fetcher      *sources.Fetcher
	built        map[string]builtSource
}

type builtSource struct {
	cfg config.Source
	src sources.Source
}

// newSources builds one collector per configured source; web sources share
// one Fetcher, so per-host limits and conditional-GET state are global.
// Sources of prev whose configuration is unchanged are reused as they are.
func newSources(cfg *config.Config, log *slog.Logger, prev *sourceSet) ([]sources.Source, *sourceSet, error) {
	set := &sourceSet{fetch: cfg.Fetch, baseURL: cfg.BaseURL, redactParams: cfg.RedactParams, built: map[string]builtSource{}}
	if prev != nil && reflect.DeepEqual(prev.fetch, cfg.Fetch) && prev.baseURL == cfg.BaseURL &&
		slices.Equal(prev.redactParams, cfg.RedactParams) {
		set.fetcher = prev.fetcher
	} else {
		prev = nil // every source depends on the fetcher or the base URL
		ua := cfg.Fetch.UserAgent
		if ua == "" {
			ua = "Herald/" + version + " (+https://github.com/heraldfeed/herald)"
		}
		f, err := sources.NewFetcher(sources.FetchConfig{
			UserAgent:      ua,
			Timeout:        cfg.Fetch.Timeout,
			ConnectTimeout: cfg.Fetch.ConnectTimeout,
			MaxBody:        int64(cfg.Fetch.MaxBody),
			Retries:        retries(cfg.Fetch.Retries),
			PerHost:        cfg.Fetch.PerHost,
			AllowHosts:     cfg.Fetch.AllowHosts,
			Redact:         redactor.Load(),
		}, log)
		if err != nil {
			return nil, nil, configError{fmt.Errorf("fetch: %w", err)}
		}
		set.fetcher = f
	}
	web := func() *sources.Fetcher { return set.fetcher }
	var out []sources.Source
	for _, sc := range cfg.Sources {
		if prev != nil {
			if old, ok := prev.built[sc.Name]; ok && reflect.DeepEqual(old.cfg, sc) {
				set.built[sc.Name] = old
				out = append(out, old.src)
				continue
			}
		}
		s, err := newSource(sc, cfg.BaseURL, web, log.With("source", sc.Name))
		if err != nil {
			return nil, nil, configError{fmt.Errorf("source %s: %w", sc.Name, err)}
		}
		set.built[sc.Name] = builtSource{cfg: sc, src: s}
		out = append(out, s)
	}
	return out, set, nil
}

func newSource(sc config.Source, baseURL string, web func() *sources.Fetcher, log *slog.Logger) (sources.Source, error) {
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
		return sources.NewFiles(sources.FilesConfig{Name: sc.Name, Path: sc.Path, BaseURL: baseURL, Trailers: sc.Trailers, FollowSymlinks: sc.FollowSymlinks}, log)
	case config.TypeFeed:
		return sources.NewFeed(sources.FeedConfig{Name: sc.Name, URL: sc.URL, Timezone: tz, FullText: sc.FullText}, web(), log)
	case config.TypePage:
		return sources.NewPage(sources.PageConfig{
			Name: sc.Name, URL: sc.URL, Item: sc.Item, Title: sc.Title, Link: sc.Link, Date: sc.Date,
			Summary: sc.Summary, DateFormats: sc.DateFormat, Timezone: tz, FullText: sc.FullText,
		}, web(), log)
	}
	return nil, fmt.Errorf("unknown type %q", sc.Type)
}

// retries maps the config's "0 disables retrying" onto FetchConfig, where
// zero means the default.
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
