// Package scheduler runs named jobs once at start-up and then on cron
// schedules until its context is cancelled.
//
// It owns schedule parsing (5-field cron expressions and descriptors, UTC
// unless a spec names CRON_TZ= or TZ=), overlap prevention (a tick that finds
// its job still running is skipped, never stacked), panic recovery and the
// guarantee that no job goroutine outlives Run.
//
// It knows nothing of feeds or sources: a job is a name, a schedule and a
// func(ctx) error. It must not import any other package of this module.
package scheduler
