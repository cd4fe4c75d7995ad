package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/sources"
)

// PreviewOptions are herald preview's.
type PreviewOptions struct {
	Config string
	Source string // the name of the source to collect
	Limit  int    // items shown at most
	Stdout io.Writer
	Env    *Env // nil: a run of its own
}

// Preview is herald preview NAME: it collects one source once and prints
// what it would publish and what it logged, publishing and storing
// nothing.
func Preview(ctx context.Context, o PreviewOptions) error {
	stdout, env := o.Stdout, envOr(o.Env)
	cfg, err := env.loadConfig(o.Config)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cfg.Sources, func(s config.Source) bool { return s.Name == o.Source })
	if i < 0 {
		var names []string
		for _, s := range cfg.Sources {
			names = append(names, s.Name)
		}
		return UsageError{Msg: fmt.Sprintf("preview: no source %q in %s (its sources: %s)", o.Source, cfg.Path, strings.Join(names, ", ")), Brief: true}
	}
	sc := cfg.Sources[i]
	rec := &records{env: env}
	log := slog.New(rec)
	fetcher, err := newFetcher(cfg, log, nil, env.red.Load())
	if err != nil {
		return err
	}
	src, err := newSource(sc, cfg.BaseURL, fetcher, log.With("source", sc.Name))
	if err != nil {
		return ConfigError{fmt.Errorf("source %s: %w", sc.Name, err)}
	}
	res, cerr := src.Collect(ctx, sources.State{})
	where := sc.URL
	if where == "" {
		where = sc.Path
	}
	fmt.Fprintf(stdout, "%s (%s %s): %d items; nothing published\n", sc.Name, sc.Type, env.Redact(where), len(res.Articles))
	printItems(stdout, env, res.Articles, o.Limit)
	rec.print(stdout)
	if cerr != nil {
		return fmt.Errorf("preview %s: %w", sc.Name, cerr)
	}
	return nil
}

// printItems prints up to limit articles as a preview: in the source's
// order, with their date, link and first words.
func printItems(w io.Writer, env *Env, arts []feed.Article, limit int) {
	for i, a := range arts {
		if i == limit {
			fmt.Fprintf(w, "… and %d more\n", len(arts)-limit)
			break
		}
		fmt.Fprintf(w, "\n%d. %s\n", i+1, env.Redact(a.Title))
		date := "(no date: dated when first seen)"
		if !a.Published.IsZero() {
			date = a.Published.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(w, "   %s  %s\n", date, env.Redact(a.URL))
		if words := firstWords(feed.HTMLText(a.Content, 400), 25); words != "" {
			fmt.Fprintf(w, "   %s\n", env.Redact(words))
		}
	}
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		return strings.Join(f[:n], " ") + " …"
	}
	return strings.Join(f, " ")
}

// records keeps the log records of a preview at info level and above, to
// print after the items.
type records struct {
	env   *Env
	mu    sync.Mutex
	lines []string
}

func (r *records) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (r *records) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", strings.ToLower(rec.Level.String()), rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key != "source" {
			fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
		}
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, r.env.Redact(b.String()))
	return nil
}

// WithAttrs drops the attributes (the source's name, known already).
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nlog:")
	for _, l := range r.lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}
