package main

import (
	"context"
	"log/slog"
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
		w, err := watch.Watch(ctx, sc.Path, watchDebounce, func() { trigger(ctx, sched, name) }, l)
		if err != nil {
			l.Warn("cannot watch the folder; collecting on schedule only", "path", sc.Path, "schedule", cfg.ScheduleFor(sc), "error", err)
			continue
		}
		l.Info("watching the folder for changes", "path", sc.Path)
		waits = append(waits, w)
	}
	return func() {
		for _, w := range waits {
			w()
		}
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
