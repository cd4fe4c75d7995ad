package sources

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestStateJSON: a State is one value a store can write and read back.
func TestStateJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		st   State
		want string
	}{
		{"zero", State{}, `{}`},
		{"full", State{
			Validators: Validators{ETag: `"v1"`, LastModified: "Sun, 01 Mar 2026 10:00:00 GMT"},
			Failures:   2, RetryAt: at, Error: "https://x.example/feed: 503 Service Unavailable", Fetch: "0123abcd",
			FirstSeen: map[string]time.Time{"id": at},
			FullText:  map[string]string{"https://x.example/1": "<p>x</p>"},
			Skipped:   map[string]string{"/a/b.png": "skipping file of unsupported kind"},
		}, `{"validators":{"etag":"\"v1\"","last_modified":"Sun, 01 Mar 2026 10:00:00 GMT"},"failures":2,` +
			`"retry_at":"2026-03-01T12:00:00Z","error":"https://x.example/feed: 503 Service Unavailable","fetch":"0123abcd","first_seen":{"id":"2026-03-01T12:00:00Z"},` +
			`"full_text":{"https://x.example/1":"\u003cp\u003ex\u003c/p\u003e"},"skipped":{"/a/b.png":"skipping file of unsupported kind"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.st)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(b)); diff != "" {
				t.Errorf("encoding (-want +got):\n%s", diff)
			}
			var back State
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.st, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStateBackoff(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var st State
	if err := st.BackingOff(now); err != nil {
		t.Fatalf("zero state backs off: %v", err)
	}
	st = st.Failed(now, 3*time.Minute)
	err := st.BackingOff(now.Add(59 * time.Second))
	if !errors.Is(err, ErrBackoff) {
		t.Fatalf("after one failure: %v, want ErrBackoff", err)
	}
	if want := "backing off after failed collections: 1 failed collection in a row, next try at 2026-03-01T12:01:00Z"; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
	if err := st.BackingOff(now.Add(time.Minute)); err != nil {
		t.Errorf("after the wait: %v, want nil", err)
	}
	for range 3 {
		st = st.Failed(now, 3*time.Minute)
	}
	if got, want := st.RetryAt.Sub(now), 3*time.Minute; st.Failures != 4 || got != want {
		t.Errorf("after 4 failures: %d failures, wait %s; want 4, %s (capped)", st.Failures, got, want)
	}
}
