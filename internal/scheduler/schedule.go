package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
)

// minEvery is the shortest "@every" period cron can honour; it silently rounds
// anything shorter up to a second, so we reject it instead of surprising the
// operator.
const minEvery = time.Second

// neverCheckFrom is the fixed instant Parse uses to reject schedules that can
// never fire (such as "0 0 30 2 *"). It is fixed, not time.Now, so Parse stays
// deterministic; cron searches five years ahead, which covers every
// satisfiable date (Feb 29 included) from this point.
var neverCheckFrom = time.Date(2001, time.January, 1, 0, 0, 0, 0, time.UTC)

// Parse parses a job schedule: a standard 5-field cron expression
// ("*/5 * * * *"), a descriptor ("@hourly", "@daily", "@every 15m", …),
// either optionally prefixed by "CRON_TZ=Area/City " or "TZ=Area/City ".
//
// Unlike cron's own parser, which defaults to the host's local time zone,
// Parse interprets a spec without a zone prefix in UTC, so a schedule means
// the same thing on every machine. Malformed specs return an error; Parse
// never panics.
func Parse(spec string) (cron.Schedule, error) {
	s, err := parse(spec)
	if err != nil {
		return nil, fmt.Errorf("parsing schedule %q: %w", spec, err)
	}
	return s, nil
}

func parse(spec string) (sched cron.Schedule, err error) {
	// cron's parser has panicked on odd input before (a zone prefix with
	// nothing after it slices out of range); the checks below avoid the known
	// cases and this guard keeps any unknown one from taking the process down.
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid schedule: %v", r)
		}
	}()

	rest := strings.TrimSpace(spec)
	if rest == "" {
		return nil, errors.New("empty schedule")
	}
	loc := time.UTC
	if zone, after, ok := cutZone(rest); ok {
		if zone == "" {
			return nil, errors.New("empty time zone")
		}
		if zone == "Local" {
			// "Local" would make the schedule depend on the host; the whole
			// point of defaulting to UTC is that it doesn't.
			return nil, errors.New(`time zone "Local" is not allowed; name an IANA zone such as Europe/Paris`)
		}
		if loc, err = time.LoadLocation(zone); err != nil {
			return nil, fmt.Errorf("unknown time zone %q: %w", zone, err)
		}
		rest = strings.TrimSpace(after)
		if rest == "" {
			return nil, fmt.Errorf("time zone %q must be followed by a schedule", zone)
		}
		if _, _, again := cutZone(rest); again {
			return nil, errors.New("more than one time zone")
		}
	}

	if d, ok := strings.CutPrefix(rest, "@every"); ok {
		return parseEvery(d)
	}

	sched, err = cron.ParseStandard(rest)
	if err != nil {
		return nil, err
	}
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("unexpected schedule type %T", sched)
	}
	// cron treats time.Local as "whatever zone the caller's time is in";
	// setting the location explicitly pins it.
	ss.Location = loc
	if ss.Next(neverCheckFrom).IsZero() {
		return nil, errors.New("schedule never fires")
	}
	return ss, nil
}

// cutZone splits a "CRON_TZ=Zone rest" or "TZ=Zone rest" spec.
func cutZone(spec string) (zone, rest string, ok bool) {
	for _, prefix := range []string{"CRON_TZ=", "TZ="} {
		if after, found := strings.CutPrefix(spec, prefix); found {
			i := strings.IndexFunc(after, unicode.IsSpace)
			if i < 0 {
				return after, "", true
			}
			return after[:i], after[i:], true
		}
	}
	return "", "", false
}

func parseEvery(arg string) (cron.Schedule, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return nil, errors.New("@every needs a duration, such as @every 15m")
	}
	d, err := time.ParseDuration(arg)
	if err != nil {
		return nil, fmt.Errorf("@every: %w", err)
	}
	if d < minEvery {
		return nil, fmt.Errorf("@every %s: period must be at least %s", arg, minEvery)
	}
	// cron.Every truncates to whole seconds; that is documented and harmless
	// at the periods a feed publisher uses.
	return cron.Every(d), nil
}

// Interval returns the typical period of spec as seen from now: the time
// between its next firing and the one after. It is meant for values such as
// Cache-Control max-age, where an approximation around DST changes is fine.
func Interval(spec string, now time.Time) (time.Duration, error) {
	sched, err := Parse(spec)
	if err != nil {
		return 0, err
	}
	next := sched.Next(now)
	if next.IsZero() {
		return 0, fmt.Errorf("schedule %q never fires after %s", spec, now.Format(time.RFC3339))
	}
	after := sched.Next(next)
	if after.IsZero() {
		return 0, fmt.Errorf("schedule %q fires only once after %s", spec, now.Format(time.RFC3339))
	}
	return after.Sub(next), nil
}
