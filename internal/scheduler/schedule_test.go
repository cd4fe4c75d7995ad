package scheduler

import (
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // hermetic zone data: the tests must not depend on the host's
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParse(t *testing.T) {
	winter := time.Date(2026, time.January, 15, 0, 0, 0, 0, time.UTC)
	summer := time.Date(2026, time.July, 1, 12, 0, 0, 0, time.UTC)
	tokyo := mustLoad(t, "Asia/Tokyo")

	valid := []struct {
		name string
		spec string
		from time.Time
		want time.Time
	}{
		{"every", "@every 15m", winter, winter.Add(15 * time.Minute)},
		{"every trims spaces", "  @every   1h  ", winter, winter.Add(time.Hour)},
		{"step", "*/5 * * * *", winter.Add(time.Minute), winter.Add(5 * time.Minute)},
		{"cron tz paris winter", "CRON_TZ=Europe/Paris 0 6 * * *", winter, time.Date(2026, 1, 15, 5, 0, 0, 0, time.UTC)},
		{"cron tz paris summer", "CRON_TZ=Europe/Paris 0 6 * * *", summer, time.Date(2026, 7, 2, 4, 0, 0, 0, time.UTC)},
		{"tz descriptor", "TZ=America/New_York @daily", summer, time.Date(2026, 7, 2, 4, 0, 0, 0, time.UTC)},
		{"tab after zone", "TZ=America/New_York\t@daily", summer, time.Date(2026, 7, 2, 4, 0, 0, 0, time.UTC)},
		{"hourly", "@hourly", winter.Add(90 * time.Minute), winter.Add(2 * time.Hour)},
		// The default is UTC whatever zone the reference time is in: cron's
		// own parser would answer 06:00 Tokyo time (21:00 UTC) here.
		{"utc default ignores from zone", "0 6 * * *", winter.In(tokyo), time.Date(2026, 1, 15, 6, 0, 0, 0, time.UTC)},
		{"utc default daily", "@daily", winter.Add(time.Hour).In(tokyo), time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)},
		{"feb 29 is possible", "0 0 29 2 *", winter, time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			sched, err := Parse(tc.spec)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.spec, err)
			}
			if got := sched.Next(tc.from); !got.Equal(tc.want) {
				t.Errorf("Parse(%q).Next(%s) = %s, want %s", tc.spec, tc.from, got.UTC(), tc.want)
			}
		})
	}

	invalid := []struct {
		name    string
		spec    string
		wantErr string // a fragment the operator needs to see
	}{
		{"empty", "", "empty schedule"},
		{"blank", "   ", "empty schedule"},
		{"every without duration", "@every", "needs a duration"},
		{"every negative", "@every -1m", "at least 1s"},
		{"every zero", "@every 0s", "at least 1s"},
		{"every sub-second", "@every 500ms", "at least 1s"},
		{"every garbage", "@every soon", "@every"},
		{"minute out of range", "61 * * * *", "61"},
		{"unknown zone", "CRON_TZ=Nope/Zone * * * * *", "Nope/Zone"},
		{"too few fields", "* * *", "5 fields"},
		{"six fields", "0 * * * * *", "5 fields"},
		{"zone without schedule", "TZ=Europe/Paris", "followed by a schedule"},
		{"cron zone without schedule", "CRON_TZ=UTC", "followed by a schedule"},
		{"empty zone", "TZ= @daily", "empty time zone"},
		{"local zone", "TZ=Local @daily", "Local"},
		{"two zones", "TZ=UTC CRON_TZ=Europe/Paris @daily", "more than one"},
		{"zone split on any space", "TZ=UTC\t\n", "followed by a schedule"},
		{"unknown descriptor", "@fortnightly", "fortnightly"},
		{"never fires", "0 0 30 2 *", "never fires"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			sched, err := Parse(tc.spec)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tc.spec, sched)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) error = %q, want it to mention %q", tc.spec, err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tc.spec)) {
				t.Errorf("Parse(%q) error = %q, want it to quote the spec", tc.spec, err)
			}
		})
	}
}

func TestInterval(t *testing.T) {
	now := time.Date(2026, time.March, 4, 10, 17, 0, 0, time.UTC)
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"@every 15m", 15 * time.Minute},
		{"@every 90s", 90 * time.Second},
		{"*/5 * * * *", 5 * time.Minute},
		{"@hourly", time.Hour},
		{"@daily", 24 * time.Hour},
		{"0 6 * * 1", 7 * 24 * time.Hour},
		{"CRON_TZ=Europe/Paris 0 6 * * *", 24 * time.Hour},
		{"0 6,18 * * *", 12 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := Interval(tc.spec, now)
			if err != nil {
				t.Fatalf("Interval(%q): %v", tc.spec, err)
			}
			if got != tc.want {
				t.Errorf("Interval(%q) = %s, want %s", tc.spec, got, tc.want)
			}
		})
	}

	t.Run("dst change is reported as it is", func(t *testing.T) {
		// Paris springs forward on 2026-03-29: 06:00 on the 29th is 23h
		// after 06:00 on the 28th.
		got, err := Interval("CRON_TZ=Europe/Paris 0 6 * * *", time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if want := 23 * time.Hour; got != want {
			t.Errorf("Interval across DST = %s, want %s", got, want)
		}
	})

	t.Run("invalid spec", func(t *testing.T) {
		if got, err := Interval("61 * * * *", now); err == nil {
			t.Errorf("Interval(invalid) = %s, want error", got)
		}
	})
}

// FuzzParse feeds arbitrary specs (they come from operators' config files)
// to Parse: it must never panic, and a schedule it accepts must move forward.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"@every 15m", "*/5 * * * *", "CRON_TZ=Europe/Paris 0 6 * * *",
		"TZ=America/New_York @daily", "", "@every", "@every -1m",
		"61 * * * *", "CRON_TZ=Nope/Zone * * * * *", "* * *", "TZ=",
		"CRON_TZ=UTC", "0 0 30 2 *", "1-5/2 0 L * MON-FRI", "@every 1h2m3s",
	} {
		f.Add(seed)
	}
	from := time.Date(2026, time.January, 15, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := Parse(spec)
		if err != nil {
			if sched != nil {
				t.Fatalf("Parse(%q) returned a schedule and an error", spec)
			}
			return
		}
		next := sched.Next(from)
		if !next.IsZero() && !next.After(from) {
			t.Fatalf("Parse(%q).Next(%s) = %s, not after", spec, from, next)
		}
	})
}
