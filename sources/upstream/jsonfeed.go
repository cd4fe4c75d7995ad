package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/heraldfeed/herald/feed"
)

// errNotJSONFeed is wrapped when a document is JSON but not a JSON Feed.
var errNotJSONFeed = errors.New("not a JSON Feed: no items array")

// parseJSONFeed reads a JSON Feed 1.0 or 1.1 document field by field.
// gofeed unmarshals a whole document into typed structs, so one item with
// "tags": "x" or a numeric title loses every item and reports Go's
// unmarshal internals. Here a field of the wrong shape is repaired where
// the intent is plain (a string where a list of strings belongs, a number
// where a string belongs, an author given as a string, one attachment
// given as an object) and ignored otherwise; every problem is returned as
// a note naming the item and the field, and the rest is kept.
func parseJSONFeed(body []byte) (items []*gofeed.Item, notes []string, err error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, nil, jsonError(body, err)
	}
	raw, ok := doc["items"]
	if !ok {
		return nil, nil, errNotJSONFeed
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, nil, fmt.Errorf("JSON Feed: items is %s, want an array", jsonKind(raw))
	}
	for i, r := range list {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(r, &fields); err != nil || fields == nil {
			notes = append(notes, fmt.Sprintf("items[%d] is %s, want an object; skipped", i, jsonKind(r)))
			continue
		}
		it, itemNotes := jsonFeedItem(fields)
		for _, n := range itemNotes {
			notes = append(notes, fmt.Sprintf("items[%d].%s", i, n))
		}
		items = append(items, it)
	}
	return items, notes, nil
}

// jsonFeedItem maps one item object onto gofeed's universal item, as
// gofeed's own JSON translator would, so the rest of the source treats
// every format alike.
func jsonFeedItem(f map[string]json.RawMessage) (*gofeed.Item, []string) {
	r := jsonFields{fields: f}
	it := &gofeed.Item{
		GUID:        r.str("id"),
		Link:        r.str("url"),
		Title:       r.str("title"),
		Description: r.str("summary"),
		Content:     r.str("content_html"),
	}
	if ext := r.str("external_url"); ext != "" {
		if it.Link != "" {
			it.Links = append(it.Links, it.Link)
		}
		it.Links = append(it.Links, ext)
	}
	if text := r.str("content_text"); text != "" && it.Content == "" {
		// content_text is plain text: escaped, with its paragraphs kept.
		it.Content = feed.TextHTML(strings.Split(text, "\n"))
	}
	it.Published, it.PublishedParsed = r.date("date_published")
	it.Updated, it.UpdatedParsed = r.date("date_modified")
	it.Categories = r.strs("tags")
	for _, key := range []string{"authors", "author"} {
		if _, ok := f[key]; ok && it.Authors == nil {
			it.Authors = r.persons(key)
		}
	}
	for _, a := range r.objects("attachments") {
		u := a.str("url")
		if u == "" {
			r.notes = append(r.notes, "attachments: an attachment has no url; skipped")
			continue
		}
		e := &gofeed.Enclosure{URL: u, Type: a.str("mime_type")}
		if n := a.int("size_in_bytes"); n > 0 {
			e.Length = strconv.FormatInt(n, 10)
		}
		it.Enclosures = append(it.Enclosures, e)
		r.notes = append(r.notes, a.notes...)
	}
	return it, r.notes
}

// jsonFields reads the fields of one JSON object leniently, collecting a
// note for every field it had to repair or ignore.
type jsonFields struct {
	fields map[string]json.RawMessage
	notes  []string
}

func (r *jsonFields) note(key, format string, args ...any) {
	r.notes = append(r.notes, key+": "+fmt.Sprintf(format, args...))
}

// str reads a string; a number or boolean is taken as its text.
func (r *jsonFields) str(key string) string {
	raw, ok := r.fields[key]
	if !ok || jsonNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	switch raw = bytes.TrimSpace(raw); {
	case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'), string(raw) == "true", string(raw) == "false":
		r.note(key, "%s where a string belongs; used as text", jsonKind(raw))
		return string(raw)
	}
	r.note(key, "%s where a string belongs; ignored", jsonKind(raw))
	return ""
}

// int reads a whole number, or a string holding one.
func (r *jsonFields) int(key string) int64 {
	raw, ok := r.fields[key]
	if !ok || jsonNull(raw) {
		return 0
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int64(f)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n
		}
	}
	r.note(key, "%s where a number belongs; ignored", jsonKind(raw))
	return 0
}

// strs reads a list of strings; a single string becomes a list of one,
// and members that are not strings are dropped.
func (r *jsonFields) strs(key string) []string {
	raw, ok := r.fields[key]
	if !ok || jsonNull(raw) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		r.note(key, "a string where an array belongs; used as one tag")
		return []string{s}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		r.note(key, "%s where an array belongs; ignored", jsonKind(raw))
		return nil
	}
	var out []string
	for _, m := range list {
		if json.Unmarshal(m, &s) == nil {
			out = append(out, s)
		} else {
			r.note(key, "a member is %s, not a string; dropped", jsonKind(m))
		}
	}
	return out
}

// objects reads an array of objects; one object alone is an array of one.
func (r *jsonFields) objects(key string) []*jsonFields {
	raw, ok := r.fields[key]
	if !ok || jsonNull(raw) {
		return nil
	}
	var one map[string]json.RawMessage
	if json.Unmarshal(raw, &one) == nil {
		r.note(key, "an object where an array belongs; used as an array of one")
		return []*jsonFields{{fields: one}}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		r.note(key, "%s where an array belongs; ignored", jsonKind(raw))
		return nil
	}
	var out []*jsonFields
	for _, m := range list {
		var obj map[string]json.RawMessage
		if json.Unmarshal(m, &obj) == nil && obj != nil {
			out = append(out, &jsonFields{fields: obj})
		} else {
			r.note(key, "a member is %s, not an object; dropped", jsonKind(m))
		}
	}
	return out
}

// persons reads authors (1.1) or author (1.0): objects with a name, or
// strings taken as names.
func (r *jsonFields) persons(key string) []*gofeed.Person {
	raw := r.fields[key]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		r.note(key, "a string where an author object belongs; used as the name")
		return []*gofeed.Person{{Name: s}}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var out []*gofeed.Person
		for _, m := range list {
			if json.Unmarshal(m, &s) == nil {
				out = append(out, &gofeed.Person{Name: s})
				continue
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(m, &obj) != nil {
				r.note(key, "a member is %s, not an author; dropped", jsonKind(m))
				continue
			}
			a := &jsonFields{fields: obj}
			out = append(out, &gofeed.Person{Name: a.str("name")})
			r.notes = append(r.notes, a.notes...)
		}
		return out
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		a := &jsonFields{fields: obj}
		p := []*gofeed.Person{{Name: a.str("name")}}
		r.notes = append(r.notes, a.notes...)
		return p
	}
	if !jsonNull(raw) {
		r.note(key, "%s where an author belongs; ignored", jsonKind(raw))
	}
	return nil
}

// date reads an RFC 3339 date as the raw text the source's date reading
// parses; a number is taken as Unix seconds, which some generators write.
func (r *jsonFields) date(key string) (string, *time.Time) {
	raw, ok := r.fields[key]
	if !ok || jsonNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var secs float64
	if json.Unmarshal(raw, &secs) == nil && secs > 0 && secs < 1e11 {
		t := time.Unix(int64(secs), 0).UTC()
		r.note(key, "a number where a date belongs; read as Unix seconds")
		return t.Format(time.RFC3339), &t
	}
	r.note(key, "%s where a date belongs; ignored", jsonKind(raw))
	return "", nil
}

func jsonNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonKind names the JSON type of raw for messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch c := raw[0]; {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return "a number"
	}
}

// jsonError describes a document that is not JSON at all by position,
// without encoding/json's vocabulary of Go types.
func jsonError(body []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(body[:min(int(syn.Offset), len(body))], []byte("\n"))
		return fmt.Errorf("JSON Feed: not valid JSON at line %d (byte %d)", line, syn.Offset)
	}
	return fmt.Errorf("JSON Feed: the document is %s, want an object", jsonKind(body))
}
