package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/heraldfeed/herald/sources"
)

// TestEncodeRecordStamps: a state's stamps, encoded by appendStamps,
// decode to what encoding/json would have given for every kind of key
// and ID, beside the state's other fields, and the encoding is the
// canonical one (sorted keys, nothing to compact).
func TestEncodeRecordStamps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state sources.State
	}{
		{"none", sources.State{Failures: 2}},
		{"only stamps", sources.State{Files: map[string]sources.FileStamp{"a.txt": {Size: 1, ModTime: 2, ID: "urn:uuid:x"}}}},
		{"beside other fields", sources.State{
			Validators: sources.Validators{ETag: `"v1"`},
			RetryAt:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Skipped:    map[string]string{"/x/b.bin": "skipping file of unsupported kind"},
			Files: map[string]sources.FileStamp{
				"z/last.md":            {Size: 1 << 40, ModTime: -5, ID: ""},
				"a/first.txt":          {Size: 0, ModTime: 1767225600000000000, ID: "urn:uuid:1"},
				`quote"back\slash.txt`: {Size: 3, ModTime: 4, ID: `id"\`},
				"ctl\x01\ttab.txt":     {Size: 5, ModTime: 6, ID: "\n"},
				"日本語/ü.md":             {Size: 7, ModTime: 8, ID: "<&>"},
				"bad\xffutf8.txt":      {Size: 9, ModTime: 10, ID: "\u2028\u2029"},
			},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkStampsRoundTrip(t, tc.state)
		})
	}
}

// FuzzEncodeRecordStamps: any key and ID round-trip as encoding/json's.
func FuzzEncodeRecordStamps(f *testing.F) {
	f.Add("a.txt", "urn:uuid:x", int64(1), int64(2))
	f.Add("\"\\\x00\xff", "\u2028", int64(-1), int64(1<<62))
	f.Fuzz(func(t *testing.T, key, id string, size, mtime int64) {
		checkStampsRoundTrip(t, sources.State{Error: "e", Files: map[string]sources.FileStamp{key: {Size: size, ModTime: mtime, ID: id}, "b": {}}})
	})
}

func checkStampsRoundTrip(t *testing.T, st sources.State) {
	t.Helper()
	got, _, err := EncodeRecord(Record{State: st})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatalf("not JSON: %s", got)
	}
	want, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var fromOurs, fromJSON sources.State
	if err := json.Unmarshal(got, &fromOurs); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromOurs, fromJSON) {
		t.Fatalf("decodes to\n%+v\nencoding/json's to\n%+v", fromOurs, fromJSON)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, got); err != nil || !bytes.Equal(compact.Bytes(), got) {
		t.Fatalf("not compact: %s", got)
	}
}
