package collect

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/sources"
)

// fixedState is a source whose collections return one state and no error.
type fixedState struct{ st sources.State }

func (f fixedState) Name() string { return "s" }
func (f fixedState) Collect(context.Context, sources.State) (sources.Result, error) {
	return sources.Result{State: f.st}, nil
}

// TestBackoffs: what a source's last state says of its failures, its
// own and its listed feeds', with the first retry time of those when all
// of them are failing, and secrets kept out of the errors.
func TestBackoffs(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	failing := func(min int, err string) sources.Sub {
		return sources.Sub{State: sources.State{Failures: 1, RetryAt: at.Add(time.Duration(min) * time.Minute), Error: err}}
	}
	ok := sources.Sub{State: sources.State{Validators: sources.Validators{ETag: `"x"`}}}
	for _, tc := range []struct {
		name string
		st   sources.State
		want Backoffs
	}{
		{"healthy", sources.State{Subs: map[string]sources.Sub{"https://a.example/f": ok}}, Backoffs{}},
		{"own back-off, secret redacted", sources.State{Failures: 3, RetryAt: at, Error: "https://up.example/f?k=s3cret-token-value: 503"},
			Backoffs{Source: Backoff{Failures: 3, RetryAt: at, Error: "https://up.example/f?k=***: 503"}, RetryAt: at}},
		{"one listed feed of two", sources.State{Subs: map[string]sources.Sub{"https://a.example/f": ok, "https://b.example/f": failing(2, "b: refused")}},
			Backoffs{Entries: []Backoff{{URL: "https://b.example/f", Failures: 1, RetryAt: at.Add(2 * time.Minute), Error: "b: refused"}}}},
		{"every listed feed", sources.State{Subs: map[string]sources.Sub{"https://c.example/f": failing(5, "c"), "https://b.example/f": failing(2, "b")}},
			Backoffs{Entries: []Backoff{
				{URL: "https://b.example/f", Failures: 1, RetryAt: at.Add(2 * time.Minute), Error: "b"},
				{URL: "https://c.example/f", Failures: 1, RetryAt: at.Add(5 * time.Minute), Error: "c"},
			}, RetryAt: at.Add(2 * time.Minute)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := sources.NewRedactor(sources.Secrets{Values: []string{"s3cret-token-value"}})
			c, err := New(Options{Sources: []Entry{{Source: fixedState{tc.st}, Key: "s"}}, Secrets: red})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Collect(context.Background(), "s"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.Backoffs("s")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
