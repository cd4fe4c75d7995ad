package sources

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// foreignMonths maps month names and abbreviations of the languages feeds
// are commonly written in (Portuguese, Spanish, French, German, Italian,
// Dutch) to English, lower-cased and without a trailing dot.
var foreignMonths = func() map[string]string {
	m := map[string]string{}
	for en, names := range map[string]string{
		"Jan": "janeiro janvier januar januari janv jänner jän gennaio gen enero ene",
		"Feb": "fevereiro fev février févr fevr februar februari febbraio febrero",
		"Mar": "março marco mars märz maerz mär maart mrt marzo",
		"Apr": "abril abr avril avr aprile",
		"May": "maio mai mei maggio mag mayo",
		"Jun": "junho juin juni giugno giu junio",
		"Jul": "julho juillet juil juli luglio lug julio",
		"Aug": "agosto ago août aout augustus",
		"Sep": "setembro set septembre sept september settembre septiembre",
		"Oct": "outubro out octobre oktober okt ottobre ott octubre",
		"Nov": "novembro novembre noviembre",
		"Dec": "dezembro dez décembre déc dec dezember december dicembre dic diciembre",
	} {
		for _, n := range strings.Fields(names) {
			m[n] = en
		}
	}
	return m
}()

// fillerWords join the parts of dates in prose ("24 de setembro de 2018",
// "10 January 2020 at 8:56 am").
var fillerWords = map[string]bool{"de": true, "del": true, "at": true, "um": true, "à": true, "le": true, "den": true}

var (
	// leadingWeekdayRE matches a day name before a comma ("Seg,",
	// "Dienstag,", "mar.,"): redundant with the date and in any language.
	leadingWeekdayRE = regexp.MustCompile(`^\p{L}{2,12}\.?,\s*`)
	// clockRE matches a time of day with an optional am/pm and zone.
	clockRE = regexp.MustCompile(`(?i)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(?:\s*([ap])\.?\s?m\b\.?)?(?:\s*(z|[a-z]{2,5}\b|[+-]\d{2}:?\d{2}))?`)
)

// dateOnlyLayouts are the dateLayouts without a time of day, which the
// date part of a date written in prose is read with.
var dateOnlyLayouts = func() []string {
	var out []string
	for _, l := range dateLayouts {
		if !strings.Contains(l, "15") && !strings.Contains(l, "Z07") {
			out = append(out, l)
		}
	}
	return out
}()

// parseDateLoose is the last resort of parseDateZone for dates no layout
// matches: it drops a leading weekday, translates month names into
// English, drops filler words, and reads a time of day ("14:33:00",
// "8:56 am PST") apart from the date ("2020/1/10", "24 Set 2018"). ok is
// false when it cannot read s either.
func parseDateLoose(s string, loc *time.Location) (t time.Time, zoned, ok bool) {
	s = leadingWeekdayRE.ReplaceAllString(s, "")
	var clock []string
	if m := clockRE.FindStringSubmatchIndex(s); m != nil {
		end := m[1]
		if m[10] >= 0 && clockZone(s[m[10]:m[11]]) == nil {
			// Not a zone ("14:33 Jan 10"): the word stays in the date.
			end, m[10], m[11] = m[10], -1, -1
		}
		for i := 0; i < len(m); i += 2 {
			if m[i] < 0 {
				clock = append(clock, "")
			} else {
				clock = append(clock, s[m[i]:m[i+1]])
			}
		}
		s = s[:m[0]] + " " + s[end:]
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) })
	kept := words[:0]
	for _, w := range words {
		key := strings.ToLower(strings.TrimRight(w, ".,"))
		switch {
		case fillerWords[key]:
			continue
		case foreignMonths[key] != "":
			w = foreignMonths[key] + strings.TrimLeft(w[len(strings.TrimRight(w, ".,")):], ".")
		}
		kept = append(kept, w)
	}
	s = strings.Trim(strings.Join(kept, " "), " ,-–|@")
	if s == "" {
		return time.Time{}, false, false
	}
	var day time.Time
	found := false
	for _, layout := range dateOnlyLayouts {
		if d, err := time.Parse(layout, s); err == nil {
			day, found = d, true
			break
		}
	}
	if !found {
		return time.Time{}, false, false
	}
	var hour, minute, sec int
	zone := loc
	if clock != nil {
		hour, _ = strconv.Atoi(clock[1])
		minute, _ = strconv.Atoi(clock[2])
		sec, _ = strconv.Atoi(clock[3])
		switch strings.ToLower(clock[4]) {
		case "a":
			if hour == 12 {
				hour = 0
			}
		case "p":
			if hour < 12 {
				hour += 12
			}
		}
		if hour > 23 || minute > 59 || sec > 60 {
			return time.Time{}, false, false
		}
		if z := clockZone(clock[5]); z != nil {
			zone, zoned = z, true
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, sec, 0, zone), zoned, true
}

// clockZone reads a zone after a time of day: an abbreviation of
// zoneOffsets, "Z" or a numeric offset; nil when there is none.
func clockZone(z string) *time.Location {
	if z == "" {
		return nil
	}
	if h, ok := zoneOffsets[strings.ToUpper(z)]; ok {
		return time.FixedZone(strings.ToUpper(z), h*3600)
	}
	if z[0] != '+' && z[0] != '-' {
		return nil
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	h, err1 := strconv.Atoi(digits[:2])
	m, err2 := strconv.Atoi(digits[2:])
	if err1 != nil || err2 != nil {
		return nil
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off)
}
