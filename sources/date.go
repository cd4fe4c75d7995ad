package sources

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// errNoDateLayout is wrapped by ParseDate when no layout matches.
var errNoDateLayout = errors.New("no known layout matches")

// dateLayouts are tried, in order, after the layouts a source configures.
//
// Purely numeric day/month orders such as "02/01/2006" and "01/02/2006"
// are deliberately absent: "03/04/2024" is the 3rd of April in most of the
// world and March 4th in the US, and guessing wrong silently misdates
// items by months. A page that writes dates that way must say which in its
// date_formats. ISO "2006/01/02" is unambiguous and included.
var dateLayouts = []string{
	time.RFC3339Nano, // also accepts RFC 3339 without fractions
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04 MST",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	time.RFC822Z,
	time.RFC822,
	time.RFC850,
	time.ANSIC,
	time.UnixDate,
	time.RubyDate,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04:05 -0700 MST",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/1/2 15:04:05", // also zero-padded: 2006/01/02
	"2006/1/2 15:04",
	"2006/1/2",
	"Monday, January 2, 2006",
	"Monday, 2 January 2006",
	"January 2, 2006 15:04",
	"January 2, 2006",
	"January 2 2006",
	"2 January 2006",
	"Mon, Jan 2, 2006",
	"Jan 2, 2006",
	"Jan 2 2006",
	"2 Jan 2006",
	"Jan. 2, 2006",
}

// zoneOffsets are the abbreviations seen in real feeds that time.Parse
// cannot resolve on its own: it only knows the abbreviations of the
// location it parses in, and gives any other a zero offset.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"CET": 1, "CEST": 2, "BST": 1, "IST": 5, "JST": 9, "AEST": 10, "AEDT": 11,
}

var (
	ordinalRE = regexp.MustCompile(`(\d)(st|nd|rd|th)\b`)
	spacesRE  = regexp.MustCompile(`\s+`)
)

// ParseDate parses s with the given layouts first and then a built-in list
// of the formats seen in feeds and on web pages (RFC 3339, RFC 1123, RFC
// 822 and their numeric-zone variants, ANSIC, ISO dates with and without
// time, and English month-name dates, with ordinals like "3rd" accepted).
// A date without a zone is read in loc (UTC when loc is nil). Ambiguous
// all-numeric day/month dates are not guessed; pass a layout for them.
func ParseDate(s string, loc *time.Location, layouts ...string) (time.Time, error) {
	t, _, err := ParseDateZone(s, loc, layouts)
	return t, err
}

// ParseDateZone is ParseDate that also reports whether s carried its own
// zone, so callers can tell a zoned date from one read in loc.
func ParseDateZone(s string, loc *time.Location, layouts []string) (time.Time, bool, error) {
	if loc == nil {
		loc = time.UTC
	}
	clean := strings.TrimSpace(spacesRE.ReplaceAllString(s, " "))
	if clean == "" {
		return time.Time{}, false, fmt.Errorf("parsing date: %w", errNoDateLayout)
	}
	if len(clean) > 100 {
		return time.Time{}, false, fmt.Errorf("parsing date %.40q...: %w", clean, errNoDateLayout)
	}
	candidates := []string{clean}
	if stripped := ordinalRE.ReplaceAllString(clean, "$1"); stripped != clean {
		candidates = append(candidates, stripped)
	}
	for _, c := range candidates {
		for _, set := range [][]string{layouts, dateLayouts} {
			for _, layout := range set {
				t, err := time.ParseInLocation(layout, c, loc)
				if err != nil {
					continue
				}
				zoned := layoutHasZone(layout)
				if zoned {
					t = fixZoneAbbrev(t)
				}
				return t, zoned, nil
			}
		}
	}
	if t, zoned, ok := parseDateLoose(clean, loc); ok {
		return t, zoned, nil
	}
	return time.Time{}, false, fmt.Errorf("parsing date %q: %w", clean, errNoDateLayout)
}

func layoutHasZone(layout string) bool {
	for _, z := range []string{"MST", "Z07", "-07", "Z0700"} {
		if strings.Contains(layout, z) {
			return true
		}
	}
	return false
}

// fixZoneAbbrev gives t the real offset of its zone abbreviation when
// time.Parse could not resolve it and fabricated a zero offset.
func fixZoneAbbrev(t time.Time) time.Time {
	name, off := t.Zone()
	if off != 0 {
		return t
	}
	hours, ok := zoneOffsets[strings.ToUpper(name)]
	if !ok || hours == 0 {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(),
		time.FixedZone(name, hours*3600))
}
