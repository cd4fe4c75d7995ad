//go:build browser

package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
)

// screenshot saves what headless Chromium shows at url to path, so a
// person can look at it (HERALD_SCREENSHOTS=dir keeps them).
func screenshot(t *testing.T, url, name string) {
	t.Helper()
	dir := os.Getenv("HERALD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name+".png")
	if _, stderr, err := chromium(t, "--hide-scrollbars", "--window-size=1100,900", "--screenshot="+path, url); err != nil {
		t.Fatalf("chromium screenshot %s: %v\n%s", url, err, stderr)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("no screenshot of %s: %v", url, err)
	}
}

// TestBrowserStatus: the operator's status page, on the admin listener,
// shows every source with a failing one marked and its (redacted) error.
func TestBrowserStatus(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there: the upstream source fails
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "articles", "a.txt"), story)
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, `title: Status test
base_url: http://news.example/
admin_listen: 127.0.0.1:0
fetch: {retries: -1}
sources:
  - {name: notes, type: files, path: ./articles}
  - {name: broken, type: feed, url: "http://reader:hunter2@`+closed+`/feed.xml?token=SECRET"}
feeds:
  - {name: world, title: World, sources: [notes, broken]}
`)
	_, _, logs := startServe(t, cfg)
	var admin string
	waitFor(t, "the admin listener", func() bool {
		m := regexp.MustCompile(`msg="serving operator endpoints" addr=(\S+)`).FindStringSubmatch(logs.String())
		if m != nil {
			admin = "http://" + m[1]
		}
		return m != nil
	})
	waitFor(t, "the failure", func() bool {
		_, body := get(t, admin+"/healthz")
		return strings.Contains(body, `"degraded"`) && strings.Contains(body, `"last_success"`)
	})
	dom := dumpDOM(t, admin+"/status")
	for _, want := range []string{
		`<title>Herald status: degraded</title>`,
		`<tr class="failing">`, "<td>broken</td>", "<td>feed</td>", "connection refused",
		`<tr class="ok">`, "<td>notes</td>", "<td>files</td>",
		"<td>World</td>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("status DOM lacks %s\n%s", want, dom)
		}
	}
	for _, secret := range []string{"hunter2", "SECRET"} {
		if strings.Contains(dom, secret) {
			t.Errorf("status page shows %s", secret)
		}
	}
	screenshot(t, admin+"/status", "status")
}

// TestBrowserReplicaStatus: a follower's status page says it follows,
// which replica leads, and that its database answers.
func TestBrowserReplicaStatus(t *testing.T) {
	_, upURL := newUpstreamFake(t, `"v1"`, "Alpha")
	cfg := replicaConfig(t, pgtest.NewDatabase(t), upURL)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, "admin_listen: 127.0.0.1:0\n"+string(b))
	leader := startReplica(t, cfg)
	waitFor(t, "the first replica to lead", func() bool { return leader.role(t) == "leader" })
	follower := startReplica(t, cfg)
	var admin string
	waitFor(t, "the follower's admin listener", func() bool {
		m := regexp.MustCompile(`msg="serving operator endpoints" addr=(\S+)`).FindStringSubmatch(follower.logs.String())
		if m != nil {
			admin = "http://" + m[1]
		}
		return m != nil
	})
	var leaderID string
	waitFor(t, "the follower to name the leader", func() bool {
		_, body := get(t, admin+"/healthz")
		m := regexp.MustCompile(`"leader":"([^"]+)"`).FindStringSubmatch(body)
		if m != nil {
			leaderID = m[1]
		}
		return m != nil
	})
	dom := dumpDOM(t, admin+"/status")
	for _, want := range []string{
		`<td id="replica-role">follower</td>`,
		`<td id="replica-leader">` + leaderID,
		`<span class="ok">ok</span>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("status DOM lacks %s\n%s", want, dom)
		}
	}
	screenshot(t, admin+"/status", "status-replica")
}
