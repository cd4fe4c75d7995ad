package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
)

// replicaProc is a real `herald serve` process, one replica of a set.
type replicaProc struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	done chan struct{}
}

// replicaLogs is the logs of reps, for awaitCollections.
func replicaLogs(reps []*replicaProc) []func() string {
	var out []func() string
	for _, r := range reps {
		out = append(out, r.logs.String)
	}
	return out
}

var replicaAddrRE = regexp.MustCompile(`msg=serving addr=(\S+) .* replica=`)

// startReplica starts `herald serve` on cfg (a shared store) on a free
// port and waits until it listens.
func startReplica(t *testing.T, cfg string, env ...string) *replicaProc {
	t.Helper()
	p := &replicaProc{cmd: herald("serve", "--config", cfg, "--addr", "127.0.0.1:0"), logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGCONT) // if a test stopped it
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("replica %s logs:\n%s", p.base, p.logs.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := replicaAddrRE.FindStringSubmatch(p.logs.String()); m != nil {
			p.base = "http://" + m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("replica exited:\n%s", p.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("replica did not start:\n%s", p.logs.String())
	return nil
}

func (p *replicaProc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// role is the replica's role as its public /healthz says.
func (p *replicaProc) role(t *testing.T) string {
	t.Helper()
	resp, body := get(t, p.base+"/healthz")
	var h struct{ Status, Role string }
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &h) != nil {
		t.Fatalf("%s/healthz: %s %s", p.base, resp.Status, body)
	}
	return h.Role
}

func leaders(t *testing.T, reps []*replicaProc) []*replicaProc {
	var out []*replicaProc
	for _, r := range reps {
		if r.alive() && r.role(t) == "leader" {
			out = append(out, r)
		}
	}
	return out
}

// testLease is the replica_lease of the replica tests, the shortest the
// configuration allows, so that each failover waits least. A takeover
// comes within 1.2 leases of the leader's last renewal; takeoverBound
// adds room for a loaded machine. TestReplicasAgree keeps the default
// lease, and TestReplicaPausedLeader does in full size: they check the
// bounds README gives for it.
const (
	testLease     = 5 * time.Second
	takeoverBound = 9 * time.Second
)

// replicaConfig is a site on the shared database dbURL with the test
// lease: a files source and an upstream feed collected every second, in
// three feeds.
func replicaConfig(t *testing.T, dbURL, upURL string) string {
	cfg := testSite(t, fmt.Sprintf("  - {name: up, type: feed, url: %s/feed.xml, schedule: \"@every 1s\"}\n", upURL),
		map[string]string{"local.txt": "Local story\n\nHello.\n"})
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, "store: "+dbURL+"\nreplica_lease: "+testLease.String()+"\n"+string(b)+
		"  - {name: upf, title: Up, sources: [up]}\n  - {name: all, title: All, sources: [articles, up], limit: 2}\n")
	return cfg
}

// TestReplicaFailover: three `herald serve` replicas on one PostgreSQL
// database. The leader is killed with SIGKILL in the middle of a
// collection; another leads within takeoverBound; an article added
// upstream after the kill reaches every replica, with no item lost or
// repeated; a replica started afterwards catches up; and the three then
// serve the same bytes, ETag and Last-Modified for every feed.
func TestReplicaFailover(t *testing.T) {
	t.Parallel() // idle most of its time, waiting on leases: beside the other replica tests
	dbURL := pgtest.NewDatabase(t)
	up, upURL := newUpstreamFake(t, `"v1"`, "Alpha", "Beta")
	cfg := replicaConfig(t, dbURL, upURL)

	reps := []*replicaProc{startReplica(t, cfg), startReplica(t, cfg), startReplica(t, cfg)}
	for _, r := range reps {
		waitFor(t, r.base+" serving both upstream items", func() bool {
			resp, body := get(t, r.base+"/upf.rss")
			return resp.StatusCode == 200 && strings.Contains(body, "Alpha") && strings.Contains(body, "Beta")
		})
	}
	leader := oneLeader(t, reps)

	checkReplicaReports(t, reps, leader)
	// world.rss (the files source only) does not change in this test: a
	// new leader must publish it with the same validators, no false change.
	validators := func(base string) string {
		resp, _ := get(t, base+"/world.rss")
		return resp.Header.Get("ETag") + " " + resp.Header.Get("Last-Modified")
	}
	worldBefore := validators(leader.base)

	// The leader's next collection of the upstream hangs: kill it then.
	up.hold()
	waitFor(t, "the leader to be collecting", func() bool { return len(up.requests()) > 0 })
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-leader.done
	up.set(`"v2"`, "Alpha", "Beta", "Gamma")
	up.unhold()

	var survivors []*replicaProc
	for _, r := range reps {
		if r != leader {
			survivors = append(survivors, r)
		}
	}
	deadline := killed.Add(takeoverBound)
	for len(leaders(t, survivors)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no replica took over within %v of the leader's death (lease %v)", takeoverBound, testLease)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("takeover %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
	// The new leader starts from the stored state: its first request to
	// the upstream is conditional on the validator the dead one stored
	// (the first request since hold() is the one the dead leader sent).
	waitFor(t, "the new leader's first collection", func() bool { return len(up.requests()) >= 2 })
	if r := up.requests(); r[1] != `"v1"` {
		t.Errorf("the new leader's first request had If-None-Match %q, want the stored \"v1\"", r[1])
	}

	for _, r := range survivors {
		waitFor(t, r.base+" serving the article added after the kill", func() bool {
			_, body := get(t, r.base+"/upf.rss")
			return strings.Contains(body, "Gamma")
		})
	}
	for _, r := range survivors {
		if got := validators(r.base); got != worldBefore {
			t.Errorf("%s/world.rss after the takeover: %s, want the unchanged %s", r.base, got, worldBefore)
		}
	}
	// A replica started now catches up on the publication.
	reps = append(survivors, startReplica(t, cfg))
	waitFor(t, "the new replica serving the article added after the kill", func() bool {
		_, body := get(t, reps[2].base+"/upf.rss")
		return strings.Contains(body, "Gamma")
	})

	var titles, guids []string
	for _, item := range parseFeed(t, reps[0].base+"/upf.rss").Items {
		titles, guids = append(titles, item.Title), append(guids, item.GUID)
	}
	slices.Sort(titles)
	slices.Sort(guids)
	if want := []string{"Alpha", "Beta", "Gamma"}; !slices.Equal(titles, want) || len(slices.Compact(guids)) != 3 {
		t.Errorf("upf.rss items %q (guids %q), want each of %q once", titles, guids, want)
	}

	// Besides what builds publish: an archive document and an article
	// page, which replicas read from the store on request.
	_, world := get(t, reps[0].base+"/world.json")
	page := regexp.MustCompile(`articles/[a-z0-9-]+\.html`).FindString(world)
	if page == "" {
		t.Fatalf("world.json links no article page:\n%s", world)
	}
	paths := []string{"index.html", "feeds.opml", "archive/all-1.rss", "archive/all-1.atom", "archive/all-1.json", page}
	for _, f := range []string{"world", "upf", "all"} {
		paths = append(paths, f+".rss", f+".atom", f+".json", f+".html")
	}
	type answer struct{ status, etag, modified, body string }
	for _, path := range paths {
		var first answer
		for i, r := range reps {
			resp, body := get(t, r.base+"/"+path)
			a := answer{resp.Status, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), body}
			if i == 0 {
				first = a
				if resp.StatusCode != 200 || a.etag == "" || a.modified == "" {
					t.Errorf("%s%s: %s, ETag %q, Last-Modified %q", r.base, path, a.status, a.etag, a.modified)
				}
				continue
			}
			if a != first {
				t.Errorf("/%s differs between replicas: %s %s %s and %s %s %s (bodies equal: %v)", path,
					first.status, first.etag, first.modified, a.status, a.etag, a.modified, a.body == first.body)
			}
		}
	}
}

// checkReplicaReports: every replica's operator /healthz names the
// leader, and its /metrics say whether it leads. A follower learns who
// leads at its next check of the database (every 2 s), so the reports are
// read until they agree, for at most two checks.
func checkReplicaReports(t *testing.T, reps []*replicaProc, leader *replicaProc) {
	t.Helper()
	type replicaHealth struct {
		Status  string
		Replica struct{ ID, Role, Leader, Database string }
	}
	said := map[*replicaProc]replicaHealth{}
	read := func() bool {
		for _, r := range reps {
			_, body := get(t, r.base+"/healthz", operator...)
			var h replicaHealth
			if err := json.Unmarshal([]byte(body), &h); err != nil {
				t.Fatalf("%s operator /healthz: %v: %s", r.base, err, body)
			}
			said[r] = h
		}
		for _, r := range reps {
			if said[r].Replica.Leader != said[leader].Replica.ID {
				return false
			}
		}
		return true
	}
	waitUntil(5*time.Second, read)
	for _, r := range reps {
		if h := said[r]; h.Status != "ok" || h.Replica.Database != "ok" || h.Replica.Leader != said[leader].Replica.ID {
			t.Errorf("%s operator /healthz: %+v; want the leader %q named", r.base, h, said[leader].Replica.ID)
		}
		_, metrics := get(t, r.base+"/metrics", operator...)
		want := "herald_leader 0"
		if r == leader {
			want = "herald_leader 1"
		}
		if !strings.Contains(metrics, "\n"+want+"\n") {
			t.Errorf("%s /metrics lacks %q", r.base, want)
		}
	}
}

func parseFeed(t *testing.T, url string) *gofeed.Feed {
	t.Helper()
	_, body := get(t, url)
	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return f
}

// TestReplicasPingHubOnce: with websub.hub set, a change is announced to
// the hub once per feed URL, by the leader, not once per replica, and
// only once every replica serves it: the hub fetches the feed at once,
// through the load balancer, from any replica.
func TestReplicasPingHubOnce(t *testing.T) {
	t.Parallel() // idle most of its time, waiting on leases: beside the other replica tests
	var mu sync.Mutex
	var reps []*replicaProc
	stale := map[string]bool{} // replicas that served the old upf.rss when the hub was told
	hub := newFakeHub(t, func(topic string) {
		mu.Lock()
		check := slices.Clone(reps)
		mu.Unlock()
		if !strings.HasSuffix(topic, "/upf.rss") {
			return
		}
		for _, rep := range check {
			if _, body := get(t, rep.base+"/upf.rss"); !strings.Contains(body, "Beta") {
				mu.Lock()
				stale[rep.base] = true
				mu.Unlock()
			}
		}
	})
	got := hub.got
	up, upURL := newUpstreamFake(t, `"v1"`, "Alpha")
	cfg := replicaConfig(t, pgtest.NewDatabase(t), upURL)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, string(b)+"websub:\n  hub: "+hub.url+"/hub\n")
	started := []*replicaProc{startReplica(t, cfg), startReplica(t, cfg), startReplica(t, cfg)}
	mu.Lock()
	reps = started
	mu.Unlock()
	for _, r := range started {
		waitFor(t, r.base+" serving the feed", func() bool {
			_, body := get(t, r.base+"/upf.rss")
			return strings.Contains(body, "Alpha")
		})
	}

	// Start-up: the first publication and the first collections may
	// change feeds (and ping); let them settle, then count from there.
	logs := replicaLogs(started)
	awaitCollections(t, 2, logs...)
	hub.reset()

	up.set(`"v2"`, "Alpha", "Beta")
	for _, r := range started {
		waitFor(t, r.base+" serving the change", func() bool {
			_, body := get(t, r.base+"/upf.rss")
			return strings.Contains(body, "Beta")
		})
	}
	var want []string
	for _, name := range []string{"all", "upf"} {
		for _, ext := range []string{".atom", ".json", ".rss"} {
			want = append(want, "http://news.example/"+name+ext)
		}
	}
	waitFor(t, "the pings", func() bool { return len(got()) >= len(want) })
	awaitCollections(t, 2, logs...) // a follower that pinged too would have by now
	if p := got(); !slices.Equal(p, want) {
		t.Errorf("pings %v, want each changed feed URL once: %v", p, want)
	}
	mu.Lock()
	defer mu.Unlock()
	for base := range stale {
		t.Errorf("the hub was told before %s served the change", base)
	}
}

// TestReplicasReload: SIGHUP with a new feed in the configuration, sent
// to every replica, publishes the feed on all of them (the leader builds
// it, the followers serve it).
func TestReplicasReload(t *testing.T) {
	t.Parallel() // idle most of its time, waiting on leases: beside the other replica tests
	_, upURL := newUpstreamFake(t, `"v1"`, "Alpha")
	cfg := replicaConfig(t, pgtest.NewDatabase(t), upURL)
	reps := []*replicaProc{startReplica(t, cfg), startReplica(t, cfg)}
	for _, r := range reps {
		waitFor(t, r.base+" serving the feed", func() bool {
			resp, _ := get(t, r.base+"/upf.rss")
			return resp.StatusCode == 200
		})
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, string(b)+"  - {name: extra, title: Extra, sources: [up]}\n")
	for _, r := range reps {
		r.cmd.Process.Signal(syscall.SIGHUP)
	}
	for _, r := range reps {
		waitFor(t, r.base+" serving the new feed", func() bool {
			resp, body := get(t, r.base+"/extra.rss")
			return resp.StatusCode == 200 && strings.Contains(body, "Alpha")
		})
	}
}

// TestGenerateOnSharedStore: generate takes the leadership of a shared
// store for its run, so it refuses to run beside a leading replica.
func TestGenerateOnSharedStore(t *testing.T) {
	t.Parallel() // idle most of its time, waiting on leases: beside the other replica tests
	_, upURL := newUpstreamFake(t, `"v1"`, "Alpha")
	cfg := replicaConfig(t, pgtest.NewDatabase(t), upURL)
	out := t.TempDir()

	r := startReplica(t, cfg)
	waitFor(t, "the replica to lead", func() bool { return r.role(t) == "leader" })
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out)
	if code == 0 || !strings.Contains(stderr, "leads and collects into this database") {
		t.Errorf("generate beside a leader: exit %d, stderr:\n%s", code, stderr)
	}

	r.cmd.Process.Signal(syscall.SIGTERM)
	<-r.done
	code, _, stderr = runCmd(t, "generate", "--config", cfg, "--out", out)
	if code != 0 {
		t.Fatalf("generate alone: exit %d, stderr:\n%s", code, stderr)
	}
	if b, err := os.ReadFile(out + "/upf.rss"); err != nil || !strings.Contains(string(b), "Alpha") {
		t.Errorf("generate wrote no upf.rss with the upstream item: %v", err)
	}
}

// TestReplicaDatabaseLost: the leader loses its database (a proxy
// between them is cut). It keeps serving what it had and says
// "degraded", another replica takes over and publishes a change; when
// the database is back, the first replica reconnects by itself and
// serves the change.
func TestReplicaDatabaseLost(t *testing.T) {
	t.Parallel() // idle most of its time, waiting on leases: beside the other replica tests
	dbURL := pgtest.NewDatabase(t)
	up, upURL := newUpstreamFake(t, `"v1"`, "Alpha")
	proxy := pgtest.NewProxy(t, dbURL)
	cfgA := replicaConfig(t, proxy.URL, upURL)
	// B's config is A's but for the store, in the same folder: the same
	// sources, so the same store keys.
	b, err := os.ReadFile(cfgA)
	if err != nil {
		t.Fatal(err)
	}
	cfgB := filepath.Join(filepath.Dir(cfgA), "config-b.yaml")
	writeFile(t, cfgB, strings.Replace(string(b), "store: "+proxy.URL, "store: "+dbURL, 1))

	a := startReplica(t, cfgA)
	waitFor(t, "A to lead", func() bool { return a.role(t) == "leader" })
	bRep := startReplica(t, cfgB)
	for _, r := range []*replicaProc{a, bRep} {
		waitFor(t, r.base+" serving the feed", func() bool {
			_, body := get(t, r.base+"/upf.rss")
			return strings.Contains(body, "Alpha")
		})
	}
	_, before := get(t, a.base+"/upf.rss")

	proxy.Cut()
	health := func(r *replicaProc) string {
		_, body := get(t, r.base+"/healthz")
		return body
	}
	waitFor(t, "A to report degraded and stop leading", func() bool {
		h := health(a)
		return strings.Contains(h, `"status":"degraded"`) && strings.Contains(h, `"role":"follower"`)
	})
	waitFor(t, "B to lead", func() bool { return bRep.role(t) == "leader" })
	if resp, body := get(t, a.base+"/upf.rss"); resp.StatusCode != 200 || body != before {
		t.Errorf("A without its database: upf.rss %s, same bytes %v", resp.Status, body == before)
	}

	up.set(`"v2"`, "Alpha", "Beta")
	waitFor(t, "B to publish the change", func() bool {
		_, body := get(t, bRep.base+"/upf.rss")
		return strings.Contains(body, "Beta")
	})
	proxy.Restore()
	waitFor(t, "A to reconnect and serve the change", func() bool {
		_, body := get(t, a.base+"/upf.rss")
		return strings.Contains(body, "Beta") && strings.Contains(health(a), `"status":"ok"`)
	})
	if r := a.role(t); r != "follower" {
		t.Errorf("A after reconnecting: %s, want follower (B leads)", r)
	}
}
