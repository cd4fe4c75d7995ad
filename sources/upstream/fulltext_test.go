package upstream

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// fakeDNS resolves names to the addresses a test gives; every dial, to
// whatever address, reaches the test's own server.
type fakeDNS map[string][]string

func (d fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range d[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if out == nil {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// TestFeedFullTextMetadataAttack is the reported attack end to end: an
// upstream configured by a name it controls links its items to that same
// name's cloud metadata path, and makes the name resolve to the metadata
// address. The feed itself is still collected; the metadata never reaches
// an article unless the operator lists the name in fetch.allow_hosts.
func TestFeedFullTextMetadataAttack(t *testing.T) {
	const secret = "AKIA-HERALD-ROLE-SECRET"
	const meta = "/latest/meta-data/iam/security-credentials/herald-role"
	page := `<!DOCTYPE html><html><head><title>creds</title></head><body><article><h1>Creds</h1>` +
		strings.Repeat(`<p>`+secret+` is the access key, and this sentence makes the page long enough, with commas, to be readable.</p>`, 6) +
		`</article></body></html>`
	var (
		mu    sync.Mutex
		items []string
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		io.WriteString(w, upRSS(items...))
	})
	mux.HandleFunc(meta, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) })
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.ReplaceAll(page, secret, "An ordinary post"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}

	tests := []struct {
		name    string
		dns     fakeDNS
		feedURL string
		links   []string
		allow   []string
		want    string // what every article's content contains
	}{
		{
			name:    "name resolving to loopback",
			dns:     fakeDNS{"evil.test": {"127.0.0.1"}},
			feedURL: fmt.Sprintf("http://evil.test:%d/feed", port),
			links:   []string{fmt.Sprintf("http://evil.test:%d%s", port, meta), "http://evil.test" + meta},
			want:    "Body of",
		},
		{
			name:    "name resolving to metadata and a public address",
			dns:     fakeDNS{"evil.test": {"93.184.216.34", "169.254.169.254"}},
			feedURL: fmt.Sprintf("http://evil.test:%d/feed", port),
			links:   []string{fmt.Sprintf("http://evil.test:%d%s", port, meta), "http://evil.test" + meta},
			want:    "Body of",
		},
		{
			name:    "name in allow_hosts",
			dns:     fakeDNS{"evil.test": {"127.0.0.1"}},
			feedURL: fmt.Sprintf("http://evil.test:%d/feed", port),
			links:   []string{"http://evil.test" + meta},
			allow:   []string{"evil.test"},
			want:    secret, // the operator allowed it: proof the fetch path works
		},
		{
			name:    "private address written by the operator",
			dns:     fakeDNS{},
			feedURL: fmt.Sprintf("http://127.0.0.1:%d/feed", port),
			links:   []string{fmt.Sprintf("http://127.0.0.1:%d/post", port)},
			want:    "An ordinary post",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			items = items[:0]
			for i, l := range tt.links {
				items = append(items, upItem(fmt.Sprint(i), fmt.Sprint("Item ", i), l, ""))
			}
			mu.Unlock()
			f, _ := sourcetest.Fetcher(t, sources.FetchConfig{Retries: -1, Resolver: tt.dns, Dial: dial, AllowHosts: tt.allow})
			var logs strings.Builder
			src, err := New(Config{Name: "up", URL: tt.feedURL, FullText: true}, f, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := sourcetest.For(src).Collect(context.Background())
			if err != nil {
				t.Fatalf("the configured URL: %v", err)
			}
			if len(got) != len(tt.links) {
				t.Fatalf("%d articles, want %d", len(got), len(tt.links))
			}
			for _, a := range got {
				if !strings.Contains(a.Content, tt.want) {
					t.Errorf("%s content %.120q, want it to contain %q", a.Title, a.Content, tt.want)
				}
				if tt.want != secret && strings.Contains(a.Content+a.Summary, secret) {
					t.Errorf("%s: the metadata reached the article: %.120q", a.Title, a.Content)
				}
			}
			if tt.want == "Body of" && !strings.Contains(logs.String(), "fetch.allow_hosts") {
				t.Errorf("no warning naming fetch.allow_hosts logged:\n%s", logs.String())
			}
		})
	}
}
