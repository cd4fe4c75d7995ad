package sources_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// TestPollBackoffFetchConfig: a failed poll records its error (secrets
// redacted) and the fetch configuration it failed under; the back-off
// holds while that configuration does, and ends at once when it changes
// (fetch.allow_hosts edited, a timeout raised), so a reload that fixes
// the cause is not answered by hours of silence.
func TestPollBackoffFetchConfig(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	parse := func(context.Context, *sources.Response, *sources.State) ([]feed.Article, error) { return nil, nil }
	for _, tc := range []struct {
		name      string
		second    sources.FetchConfig
		wantReqs  int32
		wantErr   error // of the second poll
		wantFails int
	}{
		{"same configuration backs off", sources.FetchConfig{Retries: -1}, 1, sources.ErrBackoff, 1},
		{"allow_hosts changed tries now", sources.FetchConfig{Retries: -1, AllowHosts: []string{"intranet.example"}}, 2, nil, 0},
		{"timeout changed tries now", sources.FetchConfig{Retries: -1, Timeout: time.Minute}, 2, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := sourcetest.NewServer(t, "")
			srv.Set(http.StatusServiceUnavailable, "down")
			f1, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1})
			u := srv.URL + "/feed?token=s3cret-value"
			res, err := f1.Poll(context.Background(), u, sources.State{}, clock, slog.New(slog.DiscardHandler), parse)
			if err == nil {
				t.Fatal("first poll succeeded, want a 503")
			}
			st := res.State
			if st.Failures != 1 || !st.RetryAt.Equal(now.Add(time.Minute)) || st.Fetch == "" {
				t.Fatalf("after a failure: %d failures, retry at %s, fetch %q; want 1, %s, a fingerprint", st.Failures, st.RetryAt, st.Fetch, now.Add(time.Minute))
			}
			if !strings.Contains(st.Error, "503") || strings.Contains(st.Error, "s3cret") {
				t.Errorf("recorded error %q: want the 503, without the token", st.Error)
			}

			srv.Set(http.StatusOK, "")
			f2, _ := sourcetest.Fetcher(t, tc.second)
			res, err = f2.Poll(context.Background(), u, st, clock, slog.New(slog.DiscardHandler), parse)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("second poll: %v, want %v", err, tc.wantErr)
			}
			if got := srv.Reqs.Load(); got != tc.wantReqs {
				t.Errorf("%d requests, want %d", got, tc.wantReqs)
			}
			if res.State.Failures != tc.wantFails || (tc.wantFails == 0 && (res.State.Error != "" || res.State.Fetch != "" || !res.State.RetryAt.IsZero())) {
				t.Errorf("state after: %+v, want %d failures and no error when 0", res.State, tc.wantFails)
			}
		})
	}
}
