package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one unit of recurring work.
type Job struct {
	// Name identifies the job in logs and results; it must be
	// unique within a Scheduler. Herald uses the source name.
	Name string
	// Schedule is a spec accepted by Parse.
	Schedule string
	// Run does the work. It must return soon after ctx is cancelled: Run
	// of the Scheduler waits for it.
	Run func(ctx context.Context) error
}

// Result describes one run of a job, or one tick skipped because the job's
// previous run was still going.
type Result struct {
	Job      string
	Start    time.Time
	Duration time.Duration
	// Err is what the job returned or, if it panicked, an error carrying the
	// panic value and a short stack (errors.Is/As see through to the value
	// when it is an error).
	Err      error
	Panicked bool
	// Skipped is set for a tick that did not run the job; Duration and Err
	// are zero.
	Skipped bool
}

// Options are the Scheduler's dependencies; the zero value is usable.
type Options struct {
	// Logger receives one line per run and per skipped tick. Nil discards.
	Logger *slog.Logger
	// OnResult, if not nil, is called after every run and for every skipped
	// tick, from the scheduler's goroutines: it must be safe for concurrent
	// use and should return quickly.
	OnResult func(Result)
	// Now is the clock used for Result times and for computing the next
	// tick (timers themselves use the runtime clock). Nil means time.Now.
	Now func() time.Time
}

// Scheduler runs Jobs at start and on their schedules. Create one with New.
//
// Why our own loop over cron.Schedule.Next rather than cron.Cron: Cron's
// job wrappers cannot report skipped ticks or panics back to us as values,
// its Stop does not hand running jobs a cancelled context, and its
// per-second resolution would make overlap and panic tests slow. Parsing and
// next-time arithmetic, the hard parts, still come from robfig/cron.
type Scheduler struct {
	jobs     []*job
	byName   map[string]*job
	log      *slog.Logger
	onResult func(Result)
	now      func() time.Time

	mu     sync.Mutex
	active bool            // Run is executing (including its final wait)
	ctx    context.Context // Run's ctx while new runs may start; nil otherwise
	runs   sync.WaitGroup  // job runs in flight; Add only under mu with ctx set
}

type job struct {
	Job
	sched   cron.Schedule
	log     *slog.Logger
	running atomic.Bool
	next    atomic.Int64 // Unix nanoseconds of the next tick; 0 when none
}

// New validates every job, parsing its schedule up front, and returns a
// Scheduler ready to Run. The error lists every invalid job by name.
func New(jobs []Job, opts Options) (*Scheduler, error) {
	s := &Scheduler{
		byName:   make(map[string]*job, len(jobs)),
		log:      opts.Logger,
		onResult: opts.OnResult,
		now:      opts.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}

	var errs []error
	for i, jb := range jobs {
		if jb.Name == "" {
			errs = append(errs, fmt.Errorf("jobs[%d]: empty name", i))
			continue
		}
		if _, dup := s.byName[jb.Name]; dup {
			errs = append(errs, fmt.Errorf("job %q (jobs[%d]): duplicate name", jb.Name, i))
			continue
		}
		if jb.Run == nil {
			errs = append(errs, fmt.Errorf("job %q: nil Run", jb.Name))
			continue
		}
		sched, err := Parse(jb.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("job %q: %w", jb.Name, err))
			continue
		}
		j := &job{Job: jb, sched: sched, log: s.log.With("job", jb.Name)}
		s.jobs = append(s.jobs, j)
		s.byName[jb.Name] = j
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Run starts every job once immediately and concurrently, then on its
// schedule, until ctx is done. A tick that finds its job still running is
// skipped, not queued. When ctx is done Run stops scheduling, lets the
// running jobs see their (derived) ctx cancelled, waits for them to return
// and returns nil. It returns an error only if the Scheduler is already
// running.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.active {
		s.mu.Unlock()
		return errors.New("scheduler already running")
	}
	s.active, s.ctx = true, ctx
	s.mu.Unlock()

	var loops sync.WaitGroup
	for _, j := range s.jobs {
		s.start(j)
		loops.Go(func() { s.loop(ctx, j) })
	}
	<-ctx.Done()
	loops.Wait()

	s.mu.Lock()
	s.ctx = nil // no run can start from here on, so Wait below is final
	s.mu.Unlock()
	s.runs.Wait()

	s.mu.Lock()
	s.active = false
	s.mu.Unlock()
	return nil
}

type startOutcome int

const (
	started startOutcome = iota
	busy
	stopped
)

// start launches one run of j unless it is already running or Run is not
// accepting new runs.
func (s *Scheduler) start(j *job) startOutcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := s.ctx
	if ctx == nil || ctx.Err() != nil {
		return stopped
	}
	if !j.running.CompareAndSwap(false, true) {
		return busy
	}
	s.runs.Go(func() { s.run(ctx, j) })
	return started
}

// Trigger starts the named job now, outside its schedule, and reports
// whether it did: false for an unknown name, when Run is not running, or
// when the job's previous run is still going (a caller that must not miss
// a change tries again after it). Herald triggers a files source when its
// folder changes.
func (s *Scheduler) Trigger(name string) bool {
	j, ok := s.byName[name]
	if !ok {
		return false
	}
	return s.start(j) == started
}

// Next returns when the named job's next scheduled run is due, zero when
// none is scheduled (the job is unknown, Run has not reached it, or its
// schedule has no further runs).
func (s *Scheduler) Next(name string) time.Time {
	j := s.byName[name]
	if j == nil {
		return time.Time{}
	}
	if n := j.next.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// loop fires j's ticks until ctx is done.
func (s *Scheduler) loop(ctx context.Context, j *job) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var last time.Time
	for {
		// Never compute from before the tick we just fired: a clock that
		// reads a hair behind the timer would otherwise fire it twice.
		from := s.now()
		if from.Before(last) {
			from = last
		}
		next := j.sched.Next(from)
		if next.IsZero() {
			j.next.Store(0)
			j.log.Warn("schedule has no further runs")
			return
		}
		j.log.Debug("next run scheduled", "next", next)
		j.next.Store(next.UnixNano())
		timer.Reset(next.Sub(s.now()))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		last = next
		if s.start(j) == busy {
			s.report(j, Result{Job: j.Name, Start: s.now(), Skipped: true})
		}
	}
}

// run executes j once, turning a panic (or runtime.Goexit) into a Result.
func (s *Scheduler) run(ctx context.Context, j *job) {
	start := s.now()
	var err error
	returned := false
	defer func() {
		res := Result{Job: j.Name, Start: start, Duration: s.now().Sub(start), Err: err}
		if !returned {
			res.Panicked = true
			res.Err = newPanicError(recover())
		}
		// Release before reporting so a caller reacting to the Result can
		// Trigger the job again straight away.
		j.running.Store(false)
		s.report(j, res)
	}()
	err = j.Run(ctx)
	returned = true
}

func (s *Scheduler) report(j *job, res Result) {
	switch {
	case res.Skipped:
		j.log.Warn("skipping run: previous run still going")
	case res.Err != nil:
		j.log.Error("job run failed", "duration", res.Duration.String(), "panicked", res.Panicked, "error", res.Err)
	default:
		j.log.Info("job run finished", "duration", res.Duration.String())
	}
	if s.onResult != nil {
		s.onResult(res)
	}
}

// maxPanicFrames bounds the stack kept in a panic error: enough to find the
// culprit, short enough for one log line.
const maxPanicFrames = 8

// panicError carries a recovered panic value and where it happened.
type panicError struct {
	value any
	stack string
}

// newPanicError must be called from the deferred function that recovered,
// so that the panicking frames are still on the stack.
func newPanicError(v any) *panicError {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:]) // skip Callers, newPanicError, the deferred func
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	kept := 0
	for kept < maxPanicFrames {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "runtime.") {
			// gopanic, panicmem, sigpanic, goexit: noise, not the culprit.
		} else if strings.HasSuffix(f.Function, "scheduler.(*Scheduler).run") {
			break // frames below are ours and say nothing about the job
		} else {
			fmt.Fprintf(&b, "\n\t%s (%s:%d)", f.Function, f.File, f.Line)
			kept++
		}
		if !more {
			break
		}
	}
	if v == nil {
		// Since Go 1.21 panic(nil) recovers as *runtime.PanicNilError, so nil
		// here means the job called runtime.Goexit.
		v = "job called runtime.Goexit"
	}
	return &panicError{value: v, stack: b.String()}
}

func (e *panicError) Error() string {
	return fmt.Sprintf("panic: %v%s", e.value, e.stack)
}

// Unwrap exposes a panic value that is itself an error.
func (e *panicError) Unwrap() error {
	err, _ := e.value.(error)
	return err
}
