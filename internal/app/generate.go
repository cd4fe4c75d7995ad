package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/site"
	"github.com/heraldfeed/herald/internal/store"
)

// GenerateOptions are herald generate's.
type GenerateOptions struct {
	Config  string
	Out     string // the output folder
	NoStore bool   // a one-shot run: nothing kept in data_dir
	Logger  *slog.Logger
	Stdout  io.Writer // where the counts are reported
	// Progress, if not nil, shows a status line while sources are
	// collected (NewProgress).
	Progress *Progress
	Env      *Env // nil: a run of its own
}

// Generate is herald generate: it collects every source once and writes the site to out. A
// failing source does not stop the others: what could be published is
// written, the failed source's previous output is kept (see
// site.Builder.KeepFailed), and the error (exit status 1) names the source. The
// output folder is checked and locked before anything is collected.
//
// It uses the store in data_dir like serve, so the feeds carry the
// history serve built (and the reverse); NoStore makes it a pure one-shot.
func Generate(ctx context.Context, o GenerateOptions) error {
	out, log := o.Out, o.Logger
	cfg, err := envOr(o.Env).loadConfig(o.Config)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // Ctrl-C during a (bounded, but maybe slow) load
	}
	st, err := openStore(ctx, cfg, o.NoStore)
	if err != nil {
		return err
	}
	defer st.Close()
	if shared, ok := st.(store.Shared); ok {
		release, err := leadOnce(ctx, shared)
		if err != nil {
			return err
		}
		defer release()
	}
	p, err := newPipeline(cfg, log, nil, st, nil)
	if err != nil {
		return err
	}
	unlock, err := site.Lock(out)
	if err != nil {
		return OutputError{err}
	}
	defer unlock()
	if err := p.col.Restore(ctx); err != nil {
		return err
	}
	stopProgress := o.Progress.track(p.col, 200*time.Millisecond)
	collectErr := p.col.CollectAll(ctx)
	stopProgress()
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: leave the previous output alone
	}
	files, err := p.build(ctx, time.Now(), nil)
	if err != nil {
		return err
	}
	failed := p.col.Failed()
	files, keep := p.site.KeepFailed(files, failed, site.ReadManifest(out))
	n, err := write(ctx, out, files, p, keep)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Stdout, "%s: %d written, %d unchanged, %d removed\n", out, n.Written, n.Unchanged, n.Removed)
	if len(failed) > 0 {
		log.Warn("kept the previous output of failed sources", "source", strings.Join(failed, ","))
	}
	return collectErr
}

// write writes the build's files to out, then everything they can link
// to (every full archive document, the page of every retained article) as
// it is rendered: memory does not grow with history. Write errors are
// OutputErrors; an interrupted or failed run leaves the previous output.
func write(ctx context.Context, out string, files []feed.File, p *pipeline, keep func(path, source string) bool) (site.Counts, error) {
	w, err := site.NewWriter(out)
	if err != nil {
		return site.Counts{}, OutputError{fmt.Errorf("output folder %s: %w (the previous output is unchanged)", out, err)}
	}
	failed := func(err error) (site.Counts, error) {
		w.Abort()
		return site.Counts{}, OutputError{fmt.Errorf("output folder %s: %w (the previous output is unchanged)", out, err)}
	}
	for _, f := range files {
		if err := w.Add(f); err != nil {
			return failed(err)
		}
	}
	var addErr error
	if err := p.site.Rest(ctx, p.names, func(f feed.File) error {
		addErr = w.Add(f)
		return addErr
	}); err != nil {
		if addErr != nil {
			return failed(err)
		}
		w.Abort()
		return site.Counts{}, err // the store's, not the folder's
	}
	if err := ctx.Err(); err != nil {
		w.Abort()
		return site.Counts{}, err
	}
	n, err := w.Commit(keep)
	if err != nil {
		return n, OutputError{fmt.Errorf("output folder %s: %w (the previous output is unchanged)", out, err)}
	}
	return n, nil
}

// leadOnce takes the leadership of a shared store for a one-off run, so
// that it never collects beside the replicas' leader.
func leadOnce(ctx context.Context, shared store.Shared) (release func(), err error) {
	l, err := shared.Lead(ctx, replicaID())
	if errors.Is(err, store.ErrLedElsewhere) {
		lease, _ := shared.Leader(ctx)
		id := lease.ID
		return nil, fmt.Errorf("replica %s leads and collects into this database: generate would collect beside it (stop the replicas, or give generate a store of its own)", id)
	}
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}
