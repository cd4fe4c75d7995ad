package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// waitLimit only guards against hangs; no test expects to come close to it.
const waitLimit = 5 * time.Second

// every is a schedule finer than cron allows (its @every floor is one
// second), installed through the unexported job.sched so that tick tests run
// in milliseconds.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// recorder collects Results from OnResult without ever blocking the
// scheduler.
type recorder struct {
	mu      sync.Mutex
	results []Result
	notify  chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) record(res Result) {
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.results...)
}

// waitFor blocks until ok accepts the results so far.
func (r *recorder) waitFor(t *testing.T, what string, ok func([]Result) bool) []Result {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		if got := r.snapshot(); ok(got) {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			got := r.snapshot()
			t.Fatalf("gave up waiting for %s; %d results so far, the last: %+v", what, len(got), got[max(0, len(got)-3):])
		}
	}
}

func count(results []Result, match func(Result) bool) int {
	n := 0
	for _, r := range results {
		if match(r) {
			n++
		}
	}
	return n
}

// start runs s in the background and returns a stop func that cancels it
// and asserts Run returned nil promptly.
func start(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			t.Helper()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v, want nil", err)
				}
			case <-time.After(waitLimit):
				t.Fatal("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func mustNew(t *testing.T, jobs []Job, opts Options) *Scheduler {
	t.Helper()
	s, err := New(jobs, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func setSchedule(s *Scheduler, name string, sched every) { s.byName[name].sched = sched }

func TestNewValidates(t *testing.T) {
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name string
		jobs []Job
		want []string // fragments, each must appear in the error
	}{
		{"bad schedule names the job", []Job{{Name: "blog", Schedule: "61 * * * *", Run: ok}}, []string{`job "blog"`, "61 * * * *"}},
		{"empty name names the index", []Job{{Schedule: "@daily", Run: ok}}, []string{"jobs[0]", "empty name"}},
		{"duplicate", []Job{{Name: "a", Schedule: "@daily", Run: ok}, {Name: "a", Schedule: "@hourly", Run: ok}}, []string{`job "a" (jobs[1])`, "duplicate"}},
		{"nil run", []Job{{Name: "a", Schedule: "@daily"}}, []string{`job "a"`, "nil Run"}},
		{"every bad job is listed", []Job{
			{Name: "a", Schedule: "", Run: ok},
			{Name: "b", Schedule: "@daily", Run: ok},
			{Name: "c", Schedule: "* * *", Run: ok},
		}, []string{`job "a"`, `job "c"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.jobs, Options{})
			if err == nil {
				t.Fatalf("New = %v, want error", s)
			}
			for _, frag := range tc.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not mention %q", err, frag)
				}
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		s, err := New([]Job{{Name: "a", Schedule: "@every 15m", Run: ok}, {Name: "b", Schedule: "TZ=Europe/Paris 0 6 * * *", Run: ok}}, Options{})
		if err != nil || s == nil {
			t.Fatalf("New = %v, %v; want a scheduler", s, err)
		}
	})
}

func TestRunStartsEveryJobAtStartConcurrently(t *testing.T) {
	rec := newRecorder()
	// Each job waits until both have started: this only finishes if the
	// start-up runs are concurrent.
	var barrier sync.WaitGroup
	barrier.Add(2)
	job := func(ctx context.Context) error {
		barrier.Done()
		barrier.Wait()
		return nil
	}
	s := mustNew(t, []Job{
		{Name: "a", Schedule: "@daily", Run: job},
		{Name: "b", Schedule: "@every 1h", Run: job},
	}, Options{OnResult: rec.record})
	start(t, s)

	got := rec.waitFor(t, "both start-up runs", func(r []Result) bool { return len(r) == 2 })
	names := map[string]bool{}
	for _, r := range got {
		if r.Err != nil || r.Panicked || r.Skipped {
			t.Errorf("start-up result %+v, want a clean run", r)
		}
		names[r.Job] = true
	}
	if diff := cmp.Diff(map[string]bool{"a": true, "b": true}, names); diff != "" {
		t.Errorf("jobs run at start (-want +got):\n%s", diff)
	}
}

func TestRunTicksOnSchedule(t *testing.T) {
	rec := newRecorder()
	var runs atomic.Int32
	s := mustNew(t, []Job{{Name: "a", Schedule: "@daily", Run: func(context.Context) error {
		runs.Add(1)
		return nil
	}}}, Options{OnResult: rec.record})
	setSchedule(s, "a", every(time.Millisecond))
	start(t, s)

	rec.waitFor(t, "three runs", func(r []Result) bool { return len(r) >= 3 })
	if n := runs.Load(); n < 3 {
		t.Errorf("job ran %d times, want at least 3", n)
	}
}

func TestSkipsTickWhileRunning(t *testing.T) {
	rec := newRecorder()
	release := make(chan struct{})
	var inFlight, maxInFlight, calls atomic.Int32
	s := mustNew(t, []Job{{Name: "slow", Schedule: "@daily", Run: func(ctx context.Context) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if calls.Add(1) == 1 {
			<-release // the start-up run blocks until ticks have been skipped
		}
		return nil
	}}}, Options{OnResult: rec.record})
	setSchedule(s, "slow", every(time.Millisecond))
	start(t, s)

	got := rec.waitFor(t, "two skipped ticks", func(r []Result) bool {
		return count(r, func(r Result) bool { return r.Skipped }) >= 2
	})
	if n := count(got, func(r Result) bool { return !r.Skipped }); n != 0 {
		t.Errorf("%d runs finished while the first was blocked, want 0: %+v", n, got)
	}
	for _, r := range got {
		if r.Skipped && (r.Job != "slow" || r.Err != nil || r.Duration != 0 || r.Start.IsZero()) {
			t.Errorf("skip result %+v, want Job=slow, Start set, no Err or Duration", r)
		}
	}
	if s.Trigger("slow") {
		t.Error("trigger while running = true, want false")
	}

	close(release)
	rec.waitFor(t, "runs after release", func(r []Result) bool {
		return count(r, func(r Result) bool { return !r.Skipped }) >= 2
	})
	if m := maxInFlight.Load(); m != 1 {
		t.Errorf("max concurrent runs of one job = %d, want 1", m)
	}
}

func TestPanicIsRecoveredAndJobRunsAgain(t *testing.T) {
	rec := newRecorder()
	var calls atomic.Int32
	s := mustNew(t, []Job{{Name: "flaky", Schedule: "@daily", Run: func(context.Context) error {
		if calls.Add(1) == 1 {
			panicky()
		}
		return nil
	}}}, Options{OnResult: rec.record})
	setSchedule(s, "flaky", every(time.Millisecond))
	start(t, s)

	got := rec.waitFor(t, "a panic then a clean run", func(r []Result) bool { return len(r) >= 2 })
	first, second := got[0], got[1]
	if !first.Panicked || first.Err == nil {
		t.Fatalf("first result %+v, want Panicked with Err", first)
	}
	msg := first.Err.Error()
	for _, want := range []string{"panic: boom", "panicky", "scheduler_test.go"} {
		if !strings.Contains(msg, want) {
			t.Errorf("panic error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "runtime.gopanic") {
		t.Errorf("panic error %q keeps runtime frames", msg)
	}
	if !errors.Is(first.Err, errBoom) {
		t.Errorf("errors.Is(%v, errBoom) = false, want the panic value reachable", first.Err)
	}
	if second.Panicked || second.Err != nil || second.Skipped {
		t.Errorf("second result %+v, want a clean run", second)
	}
}

var errBoom = errors.New("boom")

func panicky() { panic(errBoom) }

func TestGoexitDoesNotWedgeJob(t *testing.T) {
	rec := newRecorder()
	var calls atomic.Int32
	s := mustNew(t, []Job{{Name: "exits", Schedule: "@daily", Run: func(context.Context) error {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		return nil
	}}}, Options{OnResult: rec.record})
	start(t, s)

	got := rec.waitFor(t, "the Goexit run", func(r []Result) bool { return len(r) >= 1 })
	if !got[0].Panicked || !strings.Contains(fmt.Sprint(got[0].Err), "Goexit") {
		t.Errorf("result %+v, want Panicked mentioning Goexit", got[0])
	}
	if !s.Trigger("exits") {
		t.Fatal("trigger after Goexit = false, want the job released")
	}
	rec.waitFor(t, "the triggered run", func(r []Result) bool { return len(r) >= 2 })
}

func TestCancelStopsAndWaitsForRunningJobs(t *testing.T) {
	before := runtime.NumGoroutine()

	started := make(chan struct{})
	finished := make(chan struct{})
	var sawErr error
	s := mustNew(t, []Job{
		{Name: "waits", Schedule: "@daily", Run: func(ctx context.Context) error {
			defer close(finished)
			close(started)
			<-ctx.Done()
			sawErr = ctx.Err()
			// Linger like a job cleaning up, so that a Run that did not
			// wait would visibly return first. Not a timing assertion: a
			// correct Run waits however long this takes.
			time.Sleep(20 * time.Millisecond)
			return ctx.Err()
		}},
		{Name: "ticks", Schedule: "@daily", Run: func(context.Context) error { return nil }},
	}, Options{})
	setSchedule(s, "ticks", every(time.Millisecond))
	stop := start(t, s)

	<-started
	stop()

	select {
	case <-finished:
	default:
		t.Fatal("Run returned before the running job did")
	}
	if !errors.Is(sawErr, context.Canceled) {
		t.Errorf("job saw ctx.Err() = %v, want context.Canceled", sawErr)
	}
	if s.Trigger("ticks") {
		t.Error("trigger after Run returned = true, want false")
	}
	// Run has waited for everything it started, but a goroutine that has
	// just called wg.Done may not have exited yet: poll briefly.
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before Run, %d after it returned\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

func TestTrigger(t *testing.T) {
	rec := newRecorder()
	gate := make(chan struct{}, 1)
	s := mustNew(t, []Job{{Name: "a", Schedule: "@daily", Run: func(ctx context.Context) error {
		select {
		case <-gate:
		case <-ctx.Done():
		}
		return nil
	}}}, Options{OnResult: rec.record})

	if s.Trigger("a") {
		t.Error("trigger before Run = true, want false")
	}
	start(t, s)
	gate <- struct{}{}
	rec.waitFor(t, "the start-up run", func(r []Result) bool { return len(r) == 1 })

	if s.Trigger("nope") {
		t.Error(`trigger("nope") = true, want false for an unknown job`)
	}
	if !s.Trigger("a") {
		t.Fatal("trigger on an idle job = false, want true")
	}
	if s.Trigger("a") {
		t.Error("second trigger while the first is blocked = true, want false")
	}
	gate <- struct{}{}
	got := rec.waitFor(t, "the triggered run", func(r []Result) bool { return len(r) == 2 })
	if got[1].Skipped {
		t.Errorf("refused trigger reported a skip: %+v", got[1])
	}
}

func TestRunTwiceIsAnError(t *testing.T) {
	started := make(chan struct{})
	s := mustNew(t, []Job{{Name: "a", Schedule: "@daily", Run: func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return nil
	}}}, Options{})
	start(t, s)
	<-started
	if err := s.Run(context.Background()); err == nil {
		t.Error("second concurrent Run = nil, want error")
	}
}

func TestLogging(t *testing.T) {
	type line struct {
		Level    string `json:"level"`
		Msg      string `json:"msg"`
		Job      string `json:"job"`
		Duration string `json:"duration"` // text, not nanoseconds
		Error    string `json:"error"`
	}
	tests := []struct {
		name string
		run  func(context.Context) error
		want line
	}{
		{"success", func(context.Context) error { return nil },
			line{Level: "INFO", Msg: "job run finished", Job: "blog", Duration: "3s"}},
		{"failure", func(context.Context) error { return errors.New("upstream 503") },
			line{Level: "ERROR", Msg: "job run failed", Job: "blog", Duration: "3s", Error: "upstream 503"}},
		{"panic", func(context.Context) error { panic("nil map") },
			line{Level: "ERROR", Msg: "job run failed", Job: "blog", Duration: "3s", Error: "panic: nil map"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncBuffer
			clock := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			rec := newRecorder()
			s := mustNew(t, []Job{{Name: "blog", Schedule: "@daily", Run: func(ctx context.Context) error {
				clock.advance(3 * time.Second)
				return tc.run(ctx)
			}}}, Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), OnResult: rec.record, Now: clock.Now})
			stop := start(t, s)
			res := rec.waitFor(t, "the run", func(r []Result) bool { return len(r) == 1 })[0]
			stop()

			if !res.Start.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || res.Duration != 3*time.Second {
				t.Errorf("result Start=%s Duration=%s, want the injected clock's 2026-01-01 and 3s", res.Start, res.Duration)
			}
			lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1:\n%s", len(lines), buf.Bytes())
			}
			var got line
			if err := json.Unmarshal(lines[0], &got); err != nil {
				t.Fatalf("log line %q: %v", lines[0], err)
			}
			// The panic's stack follows its value; only the head is stable.
			got.Error, _, _ = strings.Cut(got.Error, "\n")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("log line (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSkipIsLogged(t *testing.T) {
	var buf syncBuffer
	rec := newRecorder()
	s := mustNew(t, []Job{{Name: "slow", Schedule: "@daily", Run: func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}}}, Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), OnResult: rec.record})
	setSchedule(s, "slow", every(time.Millisecond))
	stop := start(t, s)
	rec.waitFor(t, "a skipped tick", func(r []Result) bool { return len(r) >= 1 })
	stop()

	results := rec.snapshot()
	skips := count(results, func(r Result) bool { return r.Skipped })
	var warns int
	for _, raw := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var l struct{ Level, Msg, Job string }
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if l.Level == "WARN" && l.Job == "slow" && strings.Contains(l.Msg, "skipping") {
			warns++
		}
	}
	if skips == 0 || warns != skips {
		t.Errorf("%d skip warnings for %d skipped ticks, want one each (and at least one)", warns, skips)
	}
}

// manualClock only moves when told, so durations are exact even though
// several goroutines read it.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

func TestNext(t *testing.T) {
	s := mustNew(t, []Job{{Name: "a", Schedule: "@every 1h", Run: func(context.Context) error { return nil }}}, Options{})
	if got := s.Next("a"); !got.IsZero() {
		t.Errorf("Next before Run = %v, want zero", got)
	}
	before := time.Now()
	start(t, s)
	deadline := time.Now().Add(waitLimit)
	for s.Next("a").IsZero() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// cron rounds @every to whole seconds.
	if got := s.Next("a"); got.Before(before.Add(time.Hour-time.Second)) || got.After(time.Now().Add(time.Hour)) {
		t.Errorf("Next = %v, want an hour after the start (%v)", got, before)
	}
	if got := s.Next("nope"); !got.IsZero() {
		t.Errorf("Next of an unknown job = %v, want zero", got)
	}
}
