package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
)

// uaUpstream is an upstream feed that records who asked (the User-Agent,
// which each replica of the test sets apart) and when.
type uaUpstream struct {
	mu    sync.Mutex
	items []string
	asks  []uaAsk
}

type uaAsk struct {
	ua string
	at time.Time
}

func (u *uaUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.asks = append(u.asks, uaAsk{r.UserAgent(), time.Now()})
	items := u.items
	u.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<rss version="2.0"><channel><title>Up</title><link>http://up/</link><description>d</description>`)
	for i, title := range items {
		fmt.Fprintf(w, `<item><guid>%s</guid><title>%s</title><link>http://up/%s</link><pubDate>Mon, 0%d Feb 2026 10:00:00 GMT</pubDate></item>`, title, title, title, i+2)
	}
	fmt.Fprint(w, `</channel></rss>`)
}

func (u *uaUpstream) set(items ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.items = items
}

// asksBy returns the requests of user agent ua at or after since.
func (u *uaUpstream) asksBy(ua string, since time.Time) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, a := range u.asks {
		if a.ua == ua && !a.at.Before(since) {
			n++
		}
	}
	return n
}

// TestReplicaPausedLeader: the leader of two real replicas is stopped
// with SIGSTOP (as a VM freeze or a swap storm would). Its lease, renewed
// no more, runs out by the database's clock: the other replica takes
// over and publishes an upstream change within the bound, and its
// operator /healthz named the paused leader's lease expired meanwhile or
// itself as leader. Resumed with SIGCONT, the old leader makes no
// upstream request (its requests carry its own User-Agent) and learns it
// follows. In full size (.ci/run) the lease is the default one and the
// bound README's 15 s; otherwise the test lease and takeoverBound.
func TestReplicaPausedLeader(t *testing.T) {
	t.Parallel() // idle most of its time, waiting on leases: beside the other replica tests
	dbURL := pgtest.NewDatabase(t)
	up := &uaUpstream{items: []string{"Alpha"}}
	srv := httptest.NewServer(up)
	defer srv.Close()
	lease, bound := "replica_lease: "+testLease.String()+"\n", takeoverBound
	if fullSize() {
		lease, bound = "", 15*time.Second
	}
	cfg := upstreamReplicaConfig(t, srv.URL, "store: "+dbURL+"\n"+lease+"fetch: {user_agent: \"replica-${HERALD_TEST_UA}\"}\n", "")
	reps := []*replicaProc{startReplica(t, cfg, "HERALD_TEST_UA=a"), startReplica(t, cfg, "HERALD_TEST_UA=b")}
	uas := map[*replicaProc]string{reps[0]: "replica-a", reps[1]: "replica-b"}
	var leader, other *replicaProc
	waitFor(t, "exactly one leader, collecting", func() bool {
		l := leaders(t, reps)
		if len(l) != 1 {
			return false
		}
		leader = l[0]
		return up.asksBy(uas[leader], time.Time{}) > 0
	})
	for _, r := range reps {
		if r != leader {
			other = r
		}
	}
	if err := leader.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	up.set("Alpha", "Beta")

	sawExpired := false
	deadline := stopped.Add(bound)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no takeover within %v of the pause; the follower says: %s", bound, operatorHealth(t, other))
		}
		h := operatorHealth(t, other)
		var st struct {
			Replica struct {
				Role        string `json:"role"`
				LeaderLease string `json:"leader_lease"`
			} `json:"replica"`
		}
		json.Unmarshal([]byte(h), &st)
		sawExpired = sawExpired || st.Replica.LeaderLease == "expired"
		if st.Replica.Role == "leader" {
			_, body := get(t, other.base+"/upf.rss")
			if strings.Contains(body, "Beta") {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the change published by the new leader %v after the pause (saw the lease expired: %v)", time.Since(stopped).Round(time.Millisecond), sawExpired)

	resumed := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resumed replica to follow", func() bool { return leader.role(t) == "follower" })
	// A few of the new leader's collections, to give the old one every
	// chance to go on with its own.
	since := time.Now()
	waitFor(t, "three more collections by the new leader", func() bool { return up.asksBy(uas[other], since) >= 3 })
	if n := up.asksBy(uas[leader], resumed); n > 0 {
		t.Errorf("the resumed leader made %d upstream requests after SIGCONT", n)
	}
	if !strings.Contains(leader.logs.String(), "leadership lost") {
		t.Errorf("the resumed leader did not log that it lost leadership:\n%s", leader.logs.String())
	}
	if l := leaders(t, reps); len(l) != 1 || l[0] != other {
		t.Errorf("%d leaders after the resume, want only the new one", len(l))
	}
}

// operatorHealth is the replica's operator /healthz (with the token).
func operatorHealth(t *testing.T, r *replicaProc) string {
	t.Helper()
	_, body := get(t, r.base+"/healthz", operator...)
	return body
}

// TestReplicasPingOnceAcrossFailovers: three real replicas, a local hub
// that counts pings; ten times, the upstream changes and the leader is
// stopped (SIGTERM, or SIGKILL every fifth time) a random moment later,
// while the change is being collected, published or pinged, and a new
// replica joins. Each change of the upstream's feed is pinged exactly
// once, by whichever replica led when it was published or after.
func TestReplicasPingOnceAcrossFailovers(t *testing.T) {
	t.Parallel() // idle most of its time, waiting on leases: beside the other replica tests
	rounds, killEvery := 4, 4
	if fullSize() {
		rounds, killEvery = 10, 5
	}
	hub := newFakeHub(t, nil)
	up := &uaUpstream{items: []string{"Item 0"}}
	srv := httptest.NewServer(up)
	defer srv.Close()
	cfg := upstreamReplicaConfig(t, srv.URL, "store: "+pgtest.NewDatabase(t)+"\nreplica_lease: "+testLease.String()+"\n", "websub:\n  hub: "+hub.url+"/hub\n")
	reps := []*replicaProc{startReplica(t, cfg), startReplica(t, cfg), startReplica(t, cfg)}
	serving := func(item string) func() bool {
		return func() bool {
			for _, r := range reps {
				if r.alive() {
					if _, body := get(t, r.base+"/upf.rss"); strings.Contains(body, "<title>"+item+"</title>") {
						return true
					}
				}
			}
			return false
		}
	}
	waitFor(t, "the first item served", serving("Item 0"))
	// The first publications of a fresh set may ping (a feed's first
	// collection); count from a settled one.
	awaitCollections(t, 2, replicaLogs(reps)...)
	hub.reset()

	items := []string{"Item 0"}
	for round := 1; round <= rounds; round++ {
		leader := oneLeader(t, reps)
		items = append(items, fmt.Sprint("Item ", round))
		up.set(items...)
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
		sig := syscall.SIGTERM
		if round%killEvery == 0 {
			sig = syscall.SIGKILL
		}
		leader.cmd.Process.Signal(sig)
		<-leader.done
		t.Logf("round %d: %v %s", round, sig, leader.base)
		reps = append(slices.DeleteFunc(reps, func(r *replicaProc) bool { return r == leader }), startReplica(t, cfg))
		waitFor(t, fmt.Sprintf("round %d's item served", round), serving(items[len(items)-1]))
	}
	topic := "http://news.example/upf.rss"
	count := func() int {
		n := 0
		for _, p := range hub.got() {
			if p == topic {
				n++
			}
		}
		return n
	}
	waitFor(t, "every change pinged", func() bool { return count() >= rounds })
	awaitCollections(t, 2, replicaLogs(reps)...) // a second ping of a change would have come by now
	if n := count(); n != rounds {
		t.Errorf("%s pinged %d times for %d changes, want once each: %v", topic, n, rounds, hub.got())
	}
}

// upstreamReplicaConfig is the test site with an upstream feed at upURL
// collected every second (feed upf), head prepended and tail appended.
func upstreamReplicaConfig(t *testing.T, upURL, head, tail string) string {
	cfg := testSite(t, fmt.Sprintf("  - {name: up, type: feed, url: %s/feed.xml, schedule: \"@every 1s\"}\n", upURL), nil)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, head+string(b)+"  - {name: upf, title: Up, sources: [up]}\n"+tail)
	return cfg
}

// oneLeader waits until exactly one of reps leads, and returns it.
func oneLeader(t *testing.T, reps []*replicaProc) *replicaProc {
	t.Helper()
	var leader *replicaProc
	waitFor(t, "exactly one leader", func() bool {
		l := leaders(t, reps)
		if len(l) == 1 {
			leader = l[0]
		}
		return len(l) == 1
	})
	return leader
}
