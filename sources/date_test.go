package sources

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600) // no tzdata: same offset in winter
	}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		in      string
		loc     *time.Location
		layouts []string
		want    time.Time
		wantErr bool
	}{
		{in: "2026-01-15T10:30:00Z", want: utc(2026, 1, 15, 10, 30)},
		{in: "2026-01-15T10:30:00.123+02:00", want: time.Date(2026, 1, 15, 8, 30, 0, 123e6, time.UTC)},
		{in: "2026-01-15T10:30:00", loc: paris, want: utc(2026, 1, 15, 9, 30)},
		{in: "Thu, 15 Jan 2026 10:30:00 +0000", want: utc(2026, 1, 15, 10, 30)},
		{in: "Thu, 15 Jan 2026 10:30:00 GMT", loc: paris, want: utc(2026, 1, 15, 10, 30)},
		{in: "Thu, 15 Jan 2026 10:30:00 EST", want: utc(2026, 1, 15, 15, 30)},
		{in: "Thu, 5 Jan 2026 10:30:00 PDT", want: utc(2026, 1, 5, 17, 30)},
		{in: "15 Jan 26 10:30 +0100", want: utc(2026, 1, 15, 9, 30)},
		{in: "Thu Jan 15 10:30:00 2026", want: utc(2026, 1, 15, 10, 30)},
		{in: "2026-01-15", want: utc(2026, 1, 15, 0, 0)},
		{in: "2026-01-15", loc: paris, want: utc(2026, 1, 14, 23, 0)},
		{in: "2026-01-15 10:30", want: utc(2026, 1, 15, 10, 30)},
		{in: "  January   15,\n 2026 ", want: utc(2026, 1, 15, 0, 0)},
		{in: "January 3rd, 2026", want: utc(2026, 1, 3, 0, 0)},
		{in: "15 January 2026", want: utc(2026, 1, 15, 0, 0)},
		{in: "Jan 15, 2026", want: utc(2026, 1, 15, 0, 0)},
		{in: "Monday, January 5, 2026", want: utc(2026, 1, 5, 0, 0)},
		{in: "2026/01/15", want: utc(2026, 1, 15, 0, 0)},
		{in: "03/04/2026", wantErr: true}, // ambiguous: not guessed
		{in: "03/04/2026", layouts: []string{"02/01/2006"}, want: utc(2026, 4, 3, 0, 0)},
		{in: "03/04/2026", layouts: []string{"01/02/2006"}, want: utc(2026, 3, 4, 0, 0)},
		{in: "le 3 mars", wantErr: true}, // no year
		// Issue #10: what a careful parser reads.
		{in: "2020/1/10 14:33:00", want: utc(2020, 1, 10, 14, 33)},
		{in: "2020/1/10 14:33:00", loc: paris, want: utc(2020, 1, 10, 13, 33)},
		{in: "Fri, 10 Jan 2020 8:56 am PST", want: utc(2020, 1, 10, 16, 56)},
		{in: "January 10, 2020 at 8:56 PM PST", want: utc(2020, 1, 11, 4, 56)},
		{in: "January 10, 2020 12:05 a.m. GMT", want: utc(2020, 1, 10, 0, 5)},
		{in: "Seg, 24 Set 2018", want: utc(2018, 9, 24, 0, 0)},
		{in: "Seg, 24 Set 2018 10:00:00 -0300", want: utc(2018, 9, 24, 13, 0)},
		{in: "24 de setembro de 2018", want: utc(2018, 9, 24, 0, 0)},
		{in: "mar., 3 mars 2020 10:00:00 +0100", want: utc(2020, 3, 3, 9, 0)},
		{in: "Di, 03 Mär 2020 10:00 +01:00", want: utc(2020, 3, 3, 9, 0)},
		{in: "14:33 Jan 10 2020", want: utc(2020, 1, 10, 14, 33)},
		{in: "8:56 am PST", wantErr: true}, // a time without a day
		{in: "Jan 10 2020 25:00", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in, tt.loc, tt.layouts...)
			if tt.wantErr {
				if err == nil {
					t.Errorf("ParseDate(%q) = %s, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseDate(%q) = %s, want %s", tt.in, got.UTC(), tt.want)
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-15T10:30:00Z", "Thu, 15 Jan 2026 10:30:00 EST", "January 3rd, 2026",
		"2026-01-15", "03/04/2026", "Mon Jan 2 15:04:05 MST 2006", "99999-99-99", "\x00", "31st",
		"2020/1/10 14:33:00", "Fri, 10 Jan 2020 8:56 am PST", "Seg, 24 Set 2018", "24 de setembro de 2018 às 10:00",
		"14:33 Jan 10 2020", "Di, 03 Mär 2020 10:00 +01:00", "99:99 pm 1 Jan 2020"} {
		f.Add(s, "02/01/2006")
	}
	f.Fuzz(func(t *testing.T, s, layout string) {
		got, err := ParseDate(s, time.UTC, layout)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip through RFC 3339
		// when its year is representable there.
		if y := got.Year(); y >= 0 && y <= 9999 {
			back, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
			if err != nil || !back.Equal(got) {
				t.Errorf("ParseDate(%q) = %s does not round-trip: %v", s, got, err)
			}
		}
	})
}
