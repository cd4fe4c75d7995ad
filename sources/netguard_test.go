package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/heraldfeed/herald/feed"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		{"93.184.216.34", true},
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.168.0.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"198.18.0.1", false},
		{"::", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:93.184.216.34", true},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"ff02::1", false},
		{"2001:db8::1", false},
		{"64:ff9b::7f00:1", false},     // NAT64 of 127.0.0.1
		{"64:ff9b::5db8:d822", true},   // NAT64 of 93.184.216.34
		{"2002:a9fe:a9fe::1", false},   // 6to4 of 169.254.169.254
		{"2002:5db8:d822::1", true},    // 6to4 of 93.184.216.34
		{"2001:0:4136:e378::1", false}, // Teredo
		{"::127.0.0.1", false},         // IPv4-compatible loopback
		{"::a9fe:a9fe", false},         // IPv4-compatible 169.254.169.254
		{"::10.0.0.5", false},          // IPv4-compatible private
		{"::5db8:d822", true},          // IPv4-compatible 93.184.216.34
	}
	for _, tt := range tests {
		if got := publicAddr(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("publicAddr(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
}

func TestParseHostIP(t *testing.T) {
	tests := []struct {
		host, want string // want "" when host is a name
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"0x7f.0.0.1", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"0251.0376.0251.0376", "169.254.169.254"},
		{"0xa9fea9fe", "169.254.169.254"},
		{"2852039166", "169.254.169.254"},
		{"127.0.0.1.", "127.0.0.1"},
		{"[::1]", "::1"},
		{"[::127.0.0.1]", "::7f00:1"},
		{"::ffff:127.0.0.1", "::ffff:127.0.0.1"},
		{"example.org", ""},
		{"256.0.0.1", ""},
		{"1.2.3.4.5", ""},
		{"08.0.0.1", ""}, // 8 is not an octal digit
		{"4294967296", ""},
		{"cafe", ""},
		{"0xcafe.example", ""},
	}
	for _, tt := range tests {
		a, ok := parseHostIP(tt.host)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tt.want {
			t.Errorf("parseHostIP(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

// fakeNet is the resolver and dialer seam: names resolve to what the test
// says (a list per lookup, the last repeating), and every dial, whatever
// address it asks for, reaches the test's own server on loopback, so no
// packet ever goes to the addresses under test.
type fakeNet struct {
	target string // host:port of the httptest server

	mu      sync.Mutex
	names   map[string][][]string
	lookups map[string]int
	dialed  []string
}

func (n *fakeNet) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	answers, ok := n.names[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := min(n.lookups[host], len(answers)-1)
	n.lookups[host]++
	var out []netip.Addr
	for _, s := range answers[i] {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

func (n *fakeNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	n.dialed = append(n.dialed, addr)
	n.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, network, n.target)
}

func (n *fakeNet) dials() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.dialed...)
}

func newFakeNet(t *testing.T, h http.Handler) *fakeNet {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fakeNet{
		target:  strings.TrimPrefix(srv.URL, "http://"),
		lookups: map[string]int{},
		names: map[string][][]string{
			"public.test":   {{"93.184.216.34"}},
			"internal.test": {{"10.1.2.3"}},
			"meta.test":     {{"169.254.169.254"}},
			"mixed.test":    {{"93.184.216.34", "127.0.0.1"}},
			"v6local.test":  {{"::ffff:127.0.0.1"}},
		},
	}
}

func guardedFetcher(t *testing.T, n *fakeNet, allow ...string) *Fetcher {
	t.Helper()
	f, err := NewFetcher(FetchConfig{Resolver: n, Dial: n.dial, AllowHosts: allow, Retries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok "+r.Host)
	})
}

// TestContentURLsReachOnlyPublicAddresses is the SSRF rule for URLs Herald
// found in content: each forbidden address form is refused before any
// connection is made.
func TestContentURLsReachOnlyPublicAddresses(t *testing.T) {
	const origin = "https://feeds.public.test/feed.xml"
	forbidden := []string{
		"http://127.0.0.1/",
		"http://127.0.0.1:8080/admin",
		"http://localhost.internal.test/", // unresolvable names fail too (below, not forbidden)
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"http://[::1]/",
		"http://[::ffff:127.0.0.1]/",
		"http://[::ffff:a9fe:a9fe]/",
		"http://[::127.0.0.1]/",
		"http://[::169.254.169.254]/latest/meta-data/",
		"http://[fe80::1%25eth0]/",
		"http://[fd00::1]/",
		"http://2130706433/",
		"http://0177.0.0.1/",
		"http://0x7f.0.0.1/",
		"http://127.1/",
		"http://0251.0376.0251.0376/",
		"http://10.0.0.1/",
		"http://172.16.5.4/",
		"http://192.168.1.1/",
		"http://100.64.0.1/",
		"http://0.0.0.0/",
		"http://[64:ff9b::7f00:1]/",
		"http://internal.test/",
		"http://meta.test/",
		"http://mixed.test/",
		"http://v6local.test/",
	}
	for _, u := range forbidden {
		t.Run(u, func(t *testing.T) {
			n := newFakeNet(t, okHandler())
			f := guardedFetcher(t, n)
			_, err := f.GetFrom(context.Background(), u, origin)
			if err == nil {
				t.Fatalf("GetFrom(%s) succeeded, want it refused", u)
			}
			if !errors.Is(err, ErrForbiddenAddress) && !strings.Contains(u, "localhost.internal.test") {
				t.Errorf("GetFrom(%s) = %v, want ErrForbiddenAddress", u, err)
			}
			if d := n.dials(); len(d) > 0 {
				t.Errorf("GetFrom(%s) dialed %v", u, d)
			}
		})
	}

	t.Run("public name", func(t *testing.T) {
		n := newFakeNet(t, okHandler())
		r, err := guardedFetcher(t, n).GetFrom(context.Background(), "http://public.test/a", origin)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != "ok public.test" {
			t.Errorf("body %q", r.Body)
		}
		if got, want := n.dials(), []string{"93.184.216.34:80"}; !equalStrings(got, want) {
			t.Errorf("dialed %v, want %v (the checked address, not the name)", got, want)
		}
	})
}

// TestOperatorURLsAreFetchedAsWritten: a configured URL whose host is an
// IP address the operator wrote is fetched as written, and so are the
// links its content makes to that address (its port, 80, 443), and
// nothing else.
func TestOperatorURLsAreFetchedAsWritten(t *testing.T) {
	n := newFakeNet(t, okHandler())
	f := guardedFetcher(t, n)
	ctx := context.Background()
	if _, err := f.Get(ctx, "http://10.0.0.7/feed.xml", Validators{}); err != nil {
		t.Fatalf("configured private URL: %v", err)
	}
	if _, err := f.GetFrom(ctx, "http://10.0.0.7/articles/1", "http://10.0.0.7/feed.xml"); err != nil {
		t.Fatalf("same-origin content link: %v", err)
	}
	if _, err := f.GetFrom(ctx, "http://10.0.0.7:8080/", "http://10.0.0.7/feed.xml"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("another port of the origin's host: %v, want ErrForbiddenAddress", err)
	}
	if _, err := f.GetFrom(ctx, "http://10.0.0.8/", "http://10.0.0.7/feed.xml"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("another private host: %v, want ErrForbiddenAddress", err)
	}
	if _, err := f.GetFrom(ctx, "https://10.0.0.7/articles/2", "http://10.0.0.7/feed.xml"); err == nil || errors.Is(err, ErrForbiddenAddress) {
		// The test server speaks plain HTTP, so TLS fails: after the dial.
		t.Fatalf("same address on 443: %v, want a TLS failure after dialing", err)
	}
	// The configured URL and the content have a connection each: content
	// never reuses the configured URL's.
	if got, want := n.dials(), []string{"10.0.0.7:80", "10.0.0.7:80", "10.0.0.7:443"}; !equalStrings(got, want) {
		t.Errorf("dialed %v, want %v", got, want)
	}
}

// TestConfiguredNameGrantsContentNothing is the finding: a hostile
// upstream configured by name controls what the name resolves to, so
// content links and redirects to that name are judged by the addresses it
// resolves to at dial time, like any other name's, while the configured
// URL itself is still fetched as written.
func TestConfiguredNameGrantsContentNothing(t *testing.T) {
	const meta = "/latest/meta-data/iam/security-credentials/herald-role"
	tests := []struct {
		name    string
		answers [][]string // what evil.test resolves to, lookup after lookup
		origin  string
		links   []string // fetched with GetFrom in order
		allow   []string
		want    []string // "ok" or the error text expected, per link
	}{
		{
			name:    "private and public address",
			answers: [][]string{{"93.184.216.34", "169.254.169.254"}},
			origin:  "http://evil.test:8000/feed.xml",
			links:   []string{"http://evil.test" + meta, "http://evil.test:8000" + meta, "https://evil.test" + meta},
			want: []string{
				"address is not public: evil.test is 169.254.169.254 (list the host in fetch.allow_hosts to allow it)",
				"address is not public: evil.test is 169.254.169.254",
				"address is not public: evil.test is 169.254.169.254",
			},
		},
		{
			name:    "rebinding between lookups",
			answers: [][]string{{"93.184.216.34"}, {"169.254.169.254"}},
			origin:  "http://evil.test:8000/feed.xml",
			links:   []string{"http://evil.test/a", "http://evil.test" + meta},
			want:    []string{"ok", "address is not public: evil.test is 169.254.169.254"},
		},
		{
			name:    "intranet name",
			answers: [][]string{{"10.0.0.5"}},
			origin:  "http://evil.test/feed.xml",
			links:   []string{"http://evil.test/article"},
			want:    []string{"address is not public: evil.test is 10.0.0.5 (list the host in fetch.allow_hosts to allow it)"},
		},
		{
			name:    "intranet name in allow_hosts",
			answers: [][]string{{"10.0.0.5"}},
			origin:  "http://evil.test/feed.xml",
			links:   []string{"http://evil.test/article"},
			allow:   []string{"evil.test"},
			want:    []string{"ok"},
		},
		{
			name:    "intranet address in allow_hosts",
			answers: [][]string{{"10.0.0.5"}},
			origin:  "http://evil.test/feed.xml",
			links:   []string{"http://evil.test/article"},
			allow:   []string{"10.0.0.0/24"},
			want:    []string{"ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newFakeNet(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close") // every request dials anew
				fmt.Fprint(w, "body of "+r.URL.Path)
			}))
			n.names["evil.test"] = tt.answers
			f := guardedFetcher(t, n, tt.allow...)
			ctx := context.Background()
			if r, err := f.Get(ctx, tt.origin, Validators{}); err != nil || string(r.Body) != "body of /feed.xml" {
				t.Fatalf("configured URL: %v, %v", r, err)
			}
			for i, link := range tt.links {
				r, err := f.GetFrom(ctx, link, tt.origin)
				switch {
				case tt.want[i] == "ok" && err != nil:
					t.Errorf("GetFrom(%s) = %v, want it fetched", link, err)
				case tt.want[i] != "ok" && !errors.Is(err, ErrForbiddenAddress):
					t.Errorf("GetFrom(%s) = %v, want ErrForbiddenAddress", link, err)
				case tt.want[i] != "ok" && !strings.Contains(err.Error(), tt.want[i]):
					t.Errorf("GetFrom(%s) = %q, want it to say %q", link, err, tt.want[i])
				case r != nil && strings.Contains(string(r.Body), "meta-data"):
					t.Errorf("GetFrom(%s) fetched the metadata path", link)
				}
			}
		})
	}
}

// TestContentNeverReusesTheConfiguredConnection: the configured URL's
// connection, kept alive, was dialed as written to whatever the name
// resolved to; a content link to the same host:port must dial (and so be
// checked) anew rather than reuse it.
func TestContentNeverReusesTheConfiguredConnection(t *testing.T) {
	n := newFakeNet(t, okHandler())
	n.names["evil.test"] = [][]string{{"127.0.0.1"}}
	f := guardedFetcher(t, n)
	ctx := context.Background()
	const origin = "http://evil.test/feed.xml"
	for range 2 { // the second Get reuses the first one's connection
		if _, err := f.Get(ctx, origin, Validators{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.GetFrom(ctx, "http://evil.test/admin", origin); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("GetFrom = %v, want ErrForbiddenAddress", err)
	}
	if got, want := n.dials(), []string{"evil.test:80"}; !equalStrings(got, want) {
		t.Errorf("dialed %v, want %v", got, want)
	}
}

func TestRedirectToPrivateAddressRefused(t *testing.T) {
	for _, target := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://internal.test/",
		"http://[::ffff:127.0.0.1]:8080/",
	} {
		t.Run(target, func(t *testing.T) {
			n := newFakeNet(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Host == "public.test" {
					http.Redirect(w, r, target, http.StatusFound)
					return
				}
				fmt.Fprint(w, "secret metadata")
			}))
			f := guardedFetcher(t, n)
			_, err := f.Get(context.Background(), "http://public.test/feed.xml", Validators{})
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("Get = %v, want ErrForbiddenAddress", err)
			}
			if got, want := n.dials(), []string{"public.test:80"}; !equalStrings(got, want) {
				t.Errorf("dialed %v, want only %v (the configured host, as written)", got, want)
			}
		})
	}

	t.Run("http to https on the configured host is followed", func(t *testing.T) {
		n := newFakeNet(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://10.9.9.9/feed", http.StatusMovedPermanently)
		}))
		_, err := guardedFetcher(t, n).Get(context.Background(), "http://10.9.9.9/feed", Validators{})
		// The test server speaks plain HTTP, so TLS fails: after the dial.
		if err == nil || errors.Is(err, ErrForbiddenAddress) {
			t.Fatalf("Get = %v, want a TLS failure after dialing", err)
		}
		if got, want := n.dials(), []string{"10.9.9.9:80", "10.9.9.9:443"}; !equalStrings(got, want) {
			t.Errorf("dialed %v, want %v", got, want)
		}
	})

	// A redirect of the configured URL is content, on the configured
	// name too: the name's owner chose both the redirect and the address.
	for _, tt := range []struct {
		name, answer, redirect string
		allow                  []string
		want                   string // "" when followed
	}{
		{"metadata by the configured name", "169.254.169.254", "http://evil.test/latest/meta-data/", nil, "evil.test is 169.254.169.254"},
		{"same host and port", "10.0.0.5", "/new", nil, "evil.test is 10.0.0.5 (list the host in fetch.allow_hosts"},
		{"same host and port, allowed", "10.0.0.5", "/new", []string{"evil.test"}, ""},
		{"public name", "93.184.216.34", "/new", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := newFakeNet(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old" {
					http.Redirect(w, r, tt.redirect, http.StatusFound)
					return
				}
				fmt.Fprint(w, "moved here")
			}))
			n.names["evil.test"] = [][]string{{tt.answer}}
			r, err := guardedFetcher(t, n, tt.allow...).Get(context.Background(), "http://evil.test/old", Validators{})
			if tt.want == "" {
				if err != nil || string(r.Body) != "moved here" {
					t.Fatalf("Get = %v, %v; want the redirect followed", r, err)
				}
				return
			}
			if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Get = %v, want ErrForbiddenAddress saying %q", err, tt.want)
			}
		})
	}

	t.Run("same host redirect is followed", func(t *testing.T) {
		n := newFakeNet(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/old" {
				http.Redirect(w, r, "/new", http.StatusMovedPermanently)
				return
			}
			fmt.Fprint(w, "moved here")
		}))
		r, err := guardedFetcher(t, n).Get(context.Background(), "http://10.9.9.9/old", Validators{})
		if err != nil || string(r.Body) != "moved here" {
			t.Fatalf("Get = %v, %v", r, err)
		}
	})
}

// TestDNSRebindingRefused: a name that resolves to a public address once
// and to a private one the next time is checked at every connection, so the
// second connection is refused rather than trusted from the first check.
func TestDNSRebindingRefused(t *testing.T) {
	n := newFakeNet(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // every request dials anew
		fmt.Fprint(w, "ok")
	}))
	n.names["rebind.test"] = [][]string{{"93.184.216.34"}, {"127.0.0.1"}}
	f := guardedFetcher(t, n)
	const origin = "https://feeds.public.test/feed.xml"
	if _, err := f.GetFrom(context.Background(), "http://rebind.test/1", origin); err != nil {
		t.Fatalf("first fetch (public answer): %v", err)
	}
	_, err := f.GetFrom(context.Background(), "http://rebind.test/2", origin)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("second fetch (private answer) = %v, want ErrForbiddenAddress", err)
	}
	if got, want := n.dials(), []string{"93.184.216.34:80"}; !equalStrings(got, want) {
		t.Errorf("dialed %v, want %v", got, want)
	}
}

func TestAllowHosts(t *testing.T) {
	const origin = "https://feeds.public.test/feed.xml"
	tests := []struct {
		allow  []string
		url    string
		dialed string
	}{
		{[]string{"internal.test"}, "http://internal.test/x", "internal.test:80"},
		{[]string{"*.test"}, "http://internal.test/x", "internal.test:80"},
		{[]string{"10.0.0.0/8"}, "http://internal.test/x", "10.1.2.3:80"},
		{[]string{"169.254.169.254"}, "http://169.254.169.254/x", "169.254.169.254:80"},
		{[]string{"127.0.0.1"}, "http://[::ffff:127.0.0.1]/x", "[::ffff:127.0.0.1]:80"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.allow, ",")+" "+tt.url, func(t *testing.T) {
			n := newFakeNet(t, okHandler())
			if _, err := guardedFetcher(t, n, tt.allow...).GetFrom(context.Background(), tt.url, origin); err != nil {
				t.Fatal(err)
			}
			if got := n.dials(); len(got) != 1 || got[0] != tt.dialed {
				t.Errorf("dialed %v, want [%s]", got, tt.dialed)
			}
		})
	}
	// What an allowance does not cover stays refused.
	n := newFakeNet(t, okHandler())
	_, err := guardedFetcher(t, n, "10.0.0.0/8").GetFrom(context.Background(), "http://169.254.169.254/", origin)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("outside the allowance: %v, want ErrForbiddenAddress", err)
	}
	if _, err := NewFetcher(FetchConfig{AllowHosts: []string{"10.0.0.0/99"}}, nil); err == nil {
		t.Error("NewFetcher accepted an invalid prefix")
	}
}

// TestFullTextDoesNotFollowLinksToPrivateAddresses is the attack the rule
// exists for: an upstream feed whose item links point at a cloud metadata
// endpoint must not get that endpoint's answer republished by full_text.
func TestFullTextDoesNotFollowLinksToPrivateAddresses(t *testing.T) {
	n := newFakeNet(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Host {
		case "feeds.public.test":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title>
<item><title>Creds</title><link>http://169.254.169.254/latest/meta-data/iam/security-credentials/admin</link><description>upstream text</description></item>
<item><title>Decimal</title><link>http://2852039166/latest/</link><description>upstream two</description></item>
</channel></rss>`)
		default:
			fmt.Fprint(w, `<html><body><article><p>AKIA-SECRET-KEY and a long enough paragraph to be readable content for the extractor, repeated. AKIA-SECRET-KEY and a long enough paragraph.</p></article></body></html>`)
		}
	}))
	var logs strings.Builder
	f := guardedFetcher(t, n)
	const origin = "http://feeds.public.test/rss"
	resp, err := f.Get(context.Background(), origin, Validators{})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(resp.Body))
	if err != nil {
		t.Fatal(err)
	}
	var arts []feed.Article
	for _, it := range parsed.Items {
		arts = append(arts, feed.Article{Title: it.Title, URL: it.Link, Content: it.Description})
	}
	cache, _ := f.FullText(context.Background(), arts, nil, nil, origin, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if len(cache) != 0 {
		t.Errorf("full-text cache %v, want nothing extracted", cache)
	}
	for _, a := range arts {
		if strings.Contains(a.Content, "AKIA") || !strings.Contains(a.Content, "upstream") {
			t.Errorf("article %q content %q: want the upstream content, not the private page", a.Title, a.Content)
		}
	}
	if got := n.dials(); len(got) != 1 || got[0] != "feeds.public.test:80" {
		t.Errorf("dialed %v, want only the feed's host", got)
	}
	if !strings.Contains(logs.String(), "address is not public") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
