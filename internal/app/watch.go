package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/internal/scheduler"
	"github.com/heraldfeed/herald/internal/watch"
)

// watchDebounce is how long a folder must stay quiet before its source is
// collected: a burst of changes (a git pull, an editor's save dance) is
// one collection.
const watchDebounce = 250 * time.Millisecond

// watchFolders collects each files source as soon as its folder changes,
// the schedule staying the fallback. A folder that cannot be watched (it
// does not exist yet, the system's watch limit) is logged and left to the
// schedule. It returns a function that waits for the watchers to stop
// after ctx is done.
func watchFolders(ctx context.Context, cfg *config.Config, sched *scheduler.Scheduler, log *slog.Logger) (wait func()) {
	var waits []func()
	for _, sc := range cfg.Sources {
		if sc.Type != config.TypeFiles {
			continue
		}
		name := sc.Name
		l := log.With("source", name)
		changed := func() { trigger(ctx, sched, name) }
		w, err := watch.Watch(ctx, sc.Path, watchDebounce, changed, l)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Created later (a first deploy, a mount that comes up after
			// Herald): noticed within a second, collected, then watched.
			l.Warn("the folder does not exist yet; it is collected as soon as it does", "path", sc.Path)
			done := make(chan struct{})
			go func() {
				defer close(done)
				if w := awaitFolder(ctx, sc.Path, changed, l); w != nil {
					w()
				}
			}()
			waits = append(waits, func() { <-done })
		case err != nil:
			l.Warn("cannot watch the folder; collecting on schedule only", "path", sc.Path, "schedule", cfg.ScheduleFor(sc), "error", err)
		default:
			l.Info("watching the folder for changes", "path", sc.Path)
			waits = append(waits, w)
		}
	}
	return func() {
		for _, w := range waits {
			w()
		}
	}
}

// folderPoll is how often a folder that does not exist yet is looked for.
const folderPoll = time.Second

// awaitFolder waits until path exists, then collects (changed) and
// watches it; it returns the watch's wait, or nil when ctx ended first or
// the folder cannot be watched (then the schedule collects it).
func awaitFolder(ctx context.Context, path string, changed func(), log *slog.Logger) (wait func()) {
	t := time.NewTicker(folderPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := os.Stat(path); err != nil {
			continue
		}
		log.Info("the folder exists now: collecting it", "path", path)
		changed()
		w, err := watch.Watch(ctx, path, watchDebounce, changed, log)
		if err != nil {
			log.Warn("cannot watch the folder; collecting on schedule only", "path", path, "error", err)
			return nil
		}
		return w
	}
}

// trigger starts the source's collection now; while one is already
// running (which may have read the folder before the change), it tries
// again until it can, so no change waits for the schedule.
func trigger(ctx context.Context, sched *scheduler.Scheduler, name string) {
	for !sched.Trigger(name) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
