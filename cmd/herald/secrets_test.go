package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The secrets a source URL carries in these tests; none may be printed.
var secrets = []string{"hunter2", "SECRET123", "SESSIONVAL", "ENVSECRET", "PATHSECRETXY", "LITERALTOK"}

func assertNoSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", where, s, text)
		}
	}
}

// secretSite is a config whose sources all carry credentials in their URLs
// and fail at every stage a fetch can fail: connecting, the status code,
// parsing, a redirect loop, full-text pages (a warning), and, on later
// collections, backing off.
func secretSite(t *testing.T) string {
	t.Helper()
	t.Setenv("FEED_KEY", "ENVSECRET")
	t.Setenv("PATH_KEY", "PATHSECRETXY")
	mux := http.NewServeMux()
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>not a feed") })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.String(), http.StatusFound)
	})
	var up *httptest.Server
	mux.HandleFunc("/ok.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title>
<item><title>Paid story</title><guid>p1</guid><link>http://reader:hunter2@%s/gone?token=SECRET123</link><description>d</description></item>
</channel></rss>`, strings.TrimPrefix(up.URL, "http://"))
	})
	up = httptest.NewServer(mux)
	t.Cleanup(up.Close)
	host := strings.TrimPrefix(up.URL, "http://")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused

	cred := "user:hunter2@"
	q := "?token=SECRET123&session=SESSIONVAL"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, fmt.Sprintf(`title: Secrets
base_url: http://news.example/
admin_listen: 127.0.0.1:0
redact_params: [session]
schedule: "@every 1s"
fetch:
  retries: -1
sources:
  - {name: connect, type: feed, url: "http://%[1]s%[2]s/feed.xml%[3]s"}
  - {name: status, type: feed, url: "http://%[1]s%[4]s/500%[3]s"}
  - {name: parse, type: feed, url: "http://%[1]s%[4]s/garbage%[3]s"}
  - {name: loop, type: feed, url: "http://%[1]s%[4]s/loop%[3]s"}
  - {name: env, type: feed, url: "http://%[4]s/500?api_key=${FEED_KEY}"}
  - {name: fulltext, type: feed, full_text: true, url: "http://%[1]s%[4]s/ok.xml%[3]s"}
  - {name: pathenv, type: feed, url: "http://%[4]s/feeds/${PATH_KEY}/rss?feed_token=LITERALTOK"}
feeds:
  - {name: world, title: World, sources: [connect, status, parse, loop, env, fulltext, pathenv]}
`, cred, closed, q, host))
	return cfg
}

func TestNoSecretsInGenerateOutput(t *testing.T) {
	cfg := secretSite(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "generate", "--config", cfg, "--out", t.TempDir(), "--log-format", format, "--no-store")
			if code != exitPartial {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitPartial, stderr)
			}
			assertNoSecrets(t, "generate output", stdout+stderr)
			// The failures are reported, with their URLs redacted.
			for _, want := range []string{"connect", "status", "parse", "loop", "env", "***@", "token=***", "session=***", "api_key=***",
				"pathenv", "/feeds/***/rss?feed_token=***"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestNoSecretsInCheckOutput(t *testing.T) {
	t.Setenv("BAD_URL", "ftp://user:hunter2@example.org/?token=SECRET123")
	for _, tc := range []struct{ name, url string }{
		{"unparseable", `"http://user:hunter2@exa mple.org/feed?token=SECRET123"`},
		{"not http", `"ftp://user:hunter2@example.org/feed?token=SECRET123"`},
		{"from the environment", `"${BAD_URL}"`},
	} {
		url := tc.url
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "config.yaml")
			writeFile(t, cfg, "title: T\nbase_url: http://x.example/\nsources:\n  - {name: s, type: feed, url: "+url+"}\nfeeds:\n  - {name: f, title: F, sources: [s]}\n")
			code, stdout, stderr := runCmd(t, "check", "--config", cfg)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d", code, exitUsage)
			}
			assertNoSecrets(t, "check output", stdout+stderr)
			if !strings.Contains(stderr, "sources[0].url") {
				t.Errorf("the error does not name the key:\n%s", stderr)
			}
		})
	}
}

// TestNoSecretsInServe collects the failing sources on a schedule until
// they back off, then reads everything serve shows: the public and the
// operator /healthz, /metrics on the admin listener and, with the token,
// on the public one, and the logs, in text and JSON.
func TestNoSecretsInServe(t *testing.T) {
	cfg := secretSite(t)
	base, stop, logs := startServe(t, cfg)
	adminRE := regexp.MustCompile(`msg="serving operator endpoints" addr=(\S+)`)
	var admin string
	waitFor(t, "the admin listener", func() bool {
		if m := adminRE.FindStringSubmatch(logs.String()); m != nil {
			admin = "http://" + m[1]
		}
		return admin != ""
	})
	failing := []string{"connect", "status", "parse", "loop", "env", "pathenv"}
	waitFor(t, "every failure and a backoff in the logs", func() bool {
		l := logs.String()
		if !strings.Contains(l, "backing off") || !strings.Contains(l, "full text unavailable") {
			return false
		}
		for _, name := range failing {
			if !strings.Contains(l, "source="+name) || !regexp.MustCompile(`collection failed.*source=`+name+`\b`).MatchString(l) {
				return false
			}
		}
		return true
	})
	_, health := get(t, admin+"/healthz")
	for _, name := range failing {
		// The entry names the source; its error need not repeat it.
		_, entry, _ := strings.Cut(health, `"name":"`+name+`"`)
		entry, _, _ = strings.Cut(entry, "}")
		if !strings.Contains(entry, `"last_error":"`) {
			t.Errorf("operator /healthz lacks the error of %s:\n%s", name, health)
		}
	}
	if !strings.Contains(health, "***") {
		t.Errorf("operator /healthz shows no redacted URL:\n%s", health)
	}
	assertNoSecrets(t, "operator /healthz", health)
	if _, status := get(t, admin+"/status"); !strings.Contains(status, "pathenv") || !strings.Contains(status, "***") {
		t.Errorf("/status lacks the failing source or a redacted URL:\n%.2000s", status)
	} else {
		assertNoSecrets(t, "/status", status)
	}

	resp, public := get(t, base+"/healthz")
	if resp.StatusCode != 200 || strings.Contains(public, "connect") {
		t.Errorf("public /healthz: %d %s", resp.StatusCode, public)
	}
	if resp, _ := get(t, base+"/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("public /metrics without admin_token: %d, want 404", resp.StatusCode)
	}
	_, metrics := get(t, admin+"/metrics")
	if !strings.Contains(metrics, "herald_") {
		t.Errorf("admin /metrics has no herald metrics:\n%.500s", metrics)
	}
	assertNoSecrets(t, "/metrics", metrics)
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
	assertNoSecrets(t, "serve logs", logs.String())
}

func TestNoSecretsInJSONLogs(t *testing.T) {
	cfg := secretSite(t)
	var out, errb syncBuffer
	code := run(t.Context(), []string{"generate", "--config", cfg, "--out", t.TempDir(), "--log-format", "json", "--log-level", "debug"}, &out, &errb)
	if code != exitPartial {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errb.String(), `"url":"http://***@`) {
		t.Errorf("no redacted url attribute in the debug log:\n%s", errb.String())
	}
	assertNoSecrets(t, "JSON debug log", errb.String())
}
