package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/publish"
)

// generate collects every source once and writes the site to out. A
// failing source does not stop the others: what could be published is
// written, the failed source's previous output is kept (see
// publish.KeepFailed), and the error (exit status 1) names the source. The
// output folder is checked and locked before anything is collected.
func generate(ctx context.Context, cfgPath, out string, log *slog.Logger, stdout io.Writer) error {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // Ctrl-C during a (bounded, but maybe slow) load
	}
	// A one-off batch job that allocates its whole output: collecting
	// garbage less often saves CPU, paid in peak memory. Measured with
	// scripts/gogc.sh on 50,000 articles (CPU s, peak MB): GOGC=100
	// 8.7–9.9, 714–777; 200 7.8–8.0, 926–998; 400 8.0–9.3, 1,338–1,368.
	// 200 keeps the saving for a third of 400's memory. GOGC, when set,
	// still wins.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	pub, _, err := newPublisher(cfg, log, nil, nil)
	if err != nil {
		return err
	}
	unlock, err := publish.Lock(out)
	if err != nil {
		return outputError{err}
	}
	defer unlock()
	collectErr := pub.CollectAll(ctx)
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: leave the previous output alone
	}
	files, err := pub.Build(nil)
	if err != nil {
		return err
	}
	files, keep := pub.KeepFailed(files, publish.ReadManifest(out))
	if err := publish.Write(out, files, keep); err != nil {
		return outputError{fmt.Errorf("output folder %s: %w (the previous output is unchanged)", out, err)}
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n", len(files), out)
	if failed := pub.Failed(); len(failed) > 0 {
		log.Warn("kept the previous output of failed sources", "source", strings.Join(failed, ","))
	}
	return collectErr
}

// newPublisher builds the site, the sources (reusing prev's unchanged
// ones, see sourceSet) and the publisher over them.
func newPublisher(cfg *config.Config, log *slog.Logger, m *publish.Metrics, prev *sourceSet) (*publish.Publisher, *sourceSet, error) {
	site, err := newSite(cfg)
	if err != nil {
		return nil, nil, err
	}
	srcs, set, err := newSources(cfg, log, prev)
	if err != nil {
		return nil, nil, err
	}
	pub, err := publish.New(publish.Options{Site: site, Sources: srcs, Logger: log, Metrics: m})
	return pub, set, err
}
