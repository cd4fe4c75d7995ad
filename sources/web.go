package sources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// Parser reads the articles of a fetched document. next is the state
// being built from the previous one; a parser may replace its FullText.
type Parser func(ctx context.Context, r *Response, next *State) ([]feed.Article, error)

// Poll is the collection cycle feed and page sources share: skip while
// backing off, fetch rawURL conditionally with prev's validators, parse,
// date undated items by first sight, and return the next state. A 304
// gives an Unchanged result. A failure returns a Result with no articles
// and a state that backs off further; the error carries the URL once
// (through *url.Error when the request failed), and names no source: the
// caller does.
func (f *Fetcher) Poll(ctx context.Context, rawURL string, prev State, now func() time.Time, log *slog.Logger, parse Parser) (Result, error) {
	return f.poll(ctx, rawURL, rawURL, true, prev, now, log, parse)
}

// PollFrom is Poll for a URL found in the content of origin (a feed
// listed in an OPML document): it is fetched as GetFrom fetches, so it
// cannot reach private addresses unless FetchConfig.AllowHosts allows them.
func (f *Fetcher) PollFrom(ctx context.Context, rawURL, origin string, prev State, now func() time.Time, log *slog.Logger, parse Parser) (Result, error) {
	return f.poll(ctx, rawURL, origin, false, prev, now, log, parse)
}

func (f *Fetcher) poll(ctx context.Context, rawURL, origin string, configured bool, prev State, now func() time.Time, log *slog.Logger, parse Parser) (Result, error) {
	start := now()
	shown := f.URL(rawURL) // what messages may quote
	if prev.Failures > 0 && prev.Fetch != f.fingerprint() {
		log.Info("fetch configuration changed since the last failure, trying without waiting for the back-off", "failures", prev.Failures)
		prev.Failures, prev.RetryAt = 0, time.Time{}
	}
	if err := prev.BackingOff(start); err != nil {
		return Result{State: prev}, err
	}
	resp, err := f.get(ctx, rawURL, origin, prev.Validators, configured)
	if err == nil && resp.NotModified {
		return Result{Unchanged: true, State: prev.Succeeded()}, nil
	}
	next := prev
	var articles []feed.Article
	if err == nil {
		articles, err = parse(ctx, resp, &next)
		if err != nil {
			err = fmt.Errorf("%s: %w", shown, err)
		}
	} else if ue := (*url.Error)(nil); !errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", shown, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down is not the upstream's fault.
			return Result{State: prev}, err
		}
		failed := prev.Failed(now(), f.cfg.MaxBackoff)
		failed.Error, failed.Fetch = f.cfg.Redact.Text(err.Error()), f.fingerprint()
		return Result{State: failed}, err
	}
	// The state is stored: it keys articles by IDs that hold no secret,
	// the IDs they are published with.
	for i := range articles {
		articles[i].ID = feed.PublicID(articles[i].ID, f.cfg.Redact)
	}
	next.FirstSeen = dateByFirstSeen(articles, prev.FirstSeen, now())
	next.Validators = resp.Validators()
	next = next.Succeeded()
	log.Debug("fetched", "url", shown, "count", len(articles), "duration", now().Sub(start).String())
	return Result{Articles: articles, State: next}, nil
}

// ResolveRef is feed.Resolve for URLs as text: ref unchanged when either
// does not parse.
func ResolveRef(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	if u := feed.Resolve(b, ref); u != nil {
		return u.String()
	}
	return ref
}

// stateKey is how a URL keys a source's stored state: as it is, unless it
// holds a secret, then by a name-based UUID of it, so the store holds no
// credential an upstream wrote into its links.
func (f *Fetcher) stateKey(u string) string {
	if f.cfg.Redact.PublicURL(u) == u {
		return u
	}
	return "urn:uuid:" + feed.NameUUID(u)
}

// WebSpec is what every web source's constructor is given and checks the
// same way: feed, page and opml sources.
type WebSpec struct {
	Kind string // "feed", "page", "opml": for messages
	Name string
	// URL must be an absolute http(s) URL, unless Path (a local file an
	// opml source reads instead) is set.
	URL, Path string
	Fetcher   *Fetcher
	Timezone  *time.Location // nil: UTC
	Log       *slog.Logger   // nil: discarded
}

// Check reports what s lacks, in the words of a configuration error, and
// fills in its defaults.
func (s *WebSpec) Check() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("%s source: name is required", s.Kind)
	case s.Path != "" && s.URL != "":
		return fmt.Errorf("%s source %s: give either path or url", s.Kind, s.Name)
	case s.Path == "" && feed.ParseHTTPURL(s.URL) == nil:
		return fmt.Errorf("%s source %s: url %q: want an absolute http or https URL", s.Kind, s.Name, RedactURL(s.URL))
	case s.Fetcher == nil:
		return fmt.Errorf("%s source %s: fetcher is required", s.Kind, s.Name)
	}
	if s.Timezone == nil {
		s.Timezone = time.UTC
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}
