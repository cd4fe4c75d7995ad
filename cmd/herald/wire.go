package main

import (
	"fmt"
	"log/slog"
	"regexp"
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

// newSources builds one collector per configured source; web sources share
// one Fetcher, so per-host limits and conditional-GET state are global.
func newSources(cfg *config.Config, log *slog.Logger) ([]sources.Source, error) {
	var fetcher *sources.Fetcher
	web := func() *sources.Fetcher {
		if fetcher == nil {
			ua := cfg.Fetch.UserAgent
			if ua == "" {
				ua = "Herald/" + version + " (+https://github.com/heraldfeed/herald)"
			}
			fetcher = sources.NewFetcher(sources.FetchConfig{
				UserAgent:      ua,
				Timeout:        cfg.Fetch.Timeout,
				ConnectTimeout: cfg.Fetch.ConnectTimeout,
				MaxBody:        int64(cfg.Fetch.MaxBody),
				Retries:        retries(cfg.Fetch.Retries),
				PerHost:        cfg.Fetch.PerHost,
			}, log)
		}
		return fetcher
	}
	var out []sources.Source
	for _, sc := range cfg.Sources {
		slog := log.With("source", sc.Name)
		tz := time.UTC
		if sc.Timezone != "" {
			loc, err := time.LoadLocation(sc.Timezone)
			if err != nil {
				return nil, configError{fmt.Errorf("source %s: timezone: %w", sc.Name, err)}
			}
			tz = loc
		}
		var (
			s   sources.Source
			err error
		)
		switch sc.Type {
		case config.TypeFiles:
			s, err = sources.NewFiles(sources.FilesConfig{Name: sc.Name, Path: sc.Path, BaseURL: cfg.BaseURL, Trailers: sc.Trailers}, slog)
		case config.TypeFeed:
			s, err = sources.NewFeed(sources.FeedConfig{Name: sc.Name, URL: sc.URL, Timezone: tz, FullText: sc.FullText}, web(), slog)
		case config.TypePage:
			s, err = sources.NewPage(sources.PageConfig{
				Name: sc.Name, URL: sc.URL, Item: sc.Item, Title: sc.Title, Link: sc.Link, Date: sc.Date,
				Summary: sc.Summary, DateFormats: sc.DateFormat, Timezone: tz, FullText: sc.FullText,
			}, web(), slog)
		default:
			err = fmt.Errorf("unknown type %q", sc.Type)
		}
		if err != nil {
			return nil, configError{fmt.Errorf("source %s: %w", sc.Name, err)}
		}
		out = append(out, s)
	}
	return out, nil
}

// retries maps the config's "0 disables retrying" onto FetchConfig, where
// zero means the default.
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
