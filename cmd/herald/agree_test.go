package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
)

// stepBackBound is what README ("Replicas behind a load balancer")
// promises a reader without validators: once one replica served a
// version, another may still serve the one before for at most this long
// (a replica that missed the notice learns of the publication at its
// next check, every replica Interval: a fifth of the lease, 2 s at the
// default that this test keeps).
const stepBackBound = 2 * time.Second

// versionReader polls one URL on every replica in turn, as fast as it
// can, conditionally (with the ETag it holds) or not, and records what
// goes backwards.
type versionReader struct {
	url         string // site-relative
	conditional bool

	mu    sync.Mutex
	reads int
	// seen is each version (a hash of the body) by the order it was
	// first served in; first is when.
	seen  map[[32]byte]int
	first []time.Time
	// stepBacks are reads that served a version older than one served
	// before; worst is the longest a version was served after a newer
	// one was first served.
	stepBacks int
	worst     time.Duration
	where     string // the worst step back
	err       error
}

func (v *versionReader) run(ctx context.Context, reps []*replicaProc) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	var etag string
	var held int // the version held (conditional)
	newest := -1
	for i := 0; ctx.Err() == nil; i++ {
		r := reps[i%len(reps)]
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/"+v.url, nil)
		if v.conditional && etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				v.fail(fmt.Errorf("%s/%s: %v", r.base, v.url, err))
			}
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			if ctx.Err() == nil {
				v.fail(fmt.Errorf("%s/%s: %v", r.base, v.url, err))
			}
			return
		}
		now := time.Now()
		v.mu.Lock()
		v.reads++
		switch {
		case resp.StatusCode == http.StatusNotModified && v.conditional && etag != "":
			// The version held.
		case resp.StatusCode != http.StatusOK:
			v.mu.Unlock()
			v.fail(fmt.Errorf("%s/%s: %s", r.base, v.url, resp.Status))
			return
		default:
			sum := sha256.Sum256(body)
			k, ok := v.seen[sum]
			if !ok {
				k = len(v.first)
				v.seen[sum] = k
				v.first = append(v.first, now)
			}
			if v.conditional && etag != "" && k < held {
				v.stepBacks++
				v.where = fmt.Sprintf("%s handed version %d to a reader holding %d", r.base, k, held)
			}
			if k < newest {
				if !v.conditional {
					v.stepBacks++
				}
				// Served although version newest was served since first[newest].
				if d := now.Sub(v.first[newest]); d > v.worst && !v.conditional {
					v.worst, v.where = d, fmt.Sprintf("%s served version %d %v after version %d was first served", r.base, k, d.Round(time.Millisecond), newest)
				}
			}
			newest = max(newest, k)
			etag, held = resp.Header.Get("Etag"), k
		}
		v.mu.Unlock()
	}
}

func (v *versionReader) fail(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err == nil {
		v.err = err
	}
}

// versions is how many versions the reader met.
func (v *versionReader) versions() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.first)
}

// TestReplicasAgree: three `herald serve` replicas, one follower's clock
// 5 s ahead and another's 5 s behind (HERALD_TEST_CLOCK_SKEW), readers
// polling them in turn as fast as they can while an article in a full
// archive page and one in the head are edited, and articles are added.
// For every URL read (the feed heads, both article pages, the archive
// page the edit leaves), conditional readers never get an older version
// after a newer one, unconditional readers only within stepBackBound;
// and then every replica serves the same bytes, ETag and Last-Modified,
// a replica started then included.
func TestReplicasAgree(t *testing.T) {
	t.Parallel() // child processes only, idle on their schedules: beside the other replica tests
	dbURL := pgtest.NewDatabase(t)
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	writeStories(t, articles, 0, 8)
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, `title: Agree
base_url: http://news.example/
store: `+dbURL+`
schedule: "@every 1s"
sources:
  - {name: notes, type: files, path: ./articles}
feeds:
  - {name: world, title: World, sources: [notes], limit: 2}
`)
	a := startReplica(t, cfg)
	waitFor(t, "A to lead", func() bool { return a.role(t) == "leader" })
	reps := []*replicaProc{a, startReplica(t, cfg, "HERALD_TEST_CLOCK_SKEW"+"=5s"), startReplica(t, cfg, "HERALD_TEST_CLOCK_SKEW"+"=-5s")}
	for _, r := range reps[1:] {
		waitFor(t, r.base+" to follow", func() bool { return r.role(t) == "follower" })
	}
	agree := func(urls []string) string {
		for _, u := range urls {
			var first string
			for _, r := range reps {
				resp, body := get(t, r.base+"/"+u)
				got := fmt.Sprintf("%s ETag %s Last-Modified %s %x", resp.Status, resp.Header.Get("Etag"),
					resp.Header.Get("Last-Modified"), sha256.Sum256([]byte(body)))
				if first == "" {
					first = got
				} else if got != first {
					return fmt.Sprintf("/%s: %s serves %s, %s serves %s", u, reps[0].base, first, r.base, got)
				}
			}
		}
		return ""
	}
	feeds := []string{"world.rss", "world.atom", "world.json"}
	waitFor(t, "the replicas to agree on the feeds", func() bool { return agree(feeds) == "" })

	// The pages of the oldest story (in full archive page 1) and the
	// newest (in the head), as the chain links them.
	walk := walkChain(httpFetcher{base: a.base}, "http://news.example/", "world", ".json")
	if walk.Err != nil {
		t.Fatal(walk.Err)
	}
	page := map[string]string{}    // story title → its page
	archive := map[string]string{} // story title → its document
	for _, it := range walk.Items {
		page[it.Title] = strings.TrimPrefix(it.Link, "http://news.example/")
		archive[it.Title] = walk.Rels[it.Doc]
	}
	oldest, newest := storyTitle(0), storyTitle(7)
	if page[oldest] == "" || page[newest] == "" || archive[oldest] == "world.json" || archive[newest] != "world.json" {
		t.Fatalf("want story 0 archived and story 7 in the head; the chain: %s", chainSummary(map[string]*chainWalk{"json": walk}))
	}
	urls := append(feeds, page[oldest], page[newest], archive[oldest])

	ctx, stop := context.WithCancel(context.Background())
	var readers []*versionReader
	var wg sync.WaitGroup
	for _, u := range urls {
		for _, cond := range []bool{false, true} {
			v := &versionReader{url: u, conditional: cond, seen: map[[32]byte]int{}}
			readers = append(readers, v)
			wg.Go(func() { v.run(ctx, reps) })
		}
	}
	time.Sleep(300 * time.Millisecond) // every reader holds the version before
	edit := func(i int, text string) {
		tmp := filepath.Join(dir, fmt.Sprintf(".edit-%d", i))
		writeFile(t, tmp, fmt.Sprintf("%s\n\n%s\n", storyTitle(i), text))
		if err := os.Rename(tmp, filepath.Join(articles, storyName(i))); err != nil {
			t.Fatal(err)
		}
	}
	edit(0, "The oldest story, edited.")
	edit(7, "The newest story, edited.")
	for i := 8; i < 11; i++ {
		addStory(t, articles, i, storyTime(i))
		time.Sleep(700 * time.Millisecond)
	}
	edit(7, "The newest story, edited twice.")
	// Until every replica serves the last edit, then a little longer.
	waitFor(t, "every replica to serve the edits", func() bool {
		for _, r := range reps {
			_, body := get(t, r.base+"/"+page[newest])
			if !strings.Contains(body, "edited twice") {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)
	stop()
	wg.Wait()

	for _, v := range readers {
		kind := "unconditional"
		if v.conditional {
			kind = "conditional"
		}
		if v.err != nil {
			t.Errorf("%s reader of /%s: %v", kind, v.url, v.err)
			continue
		}
		t.Logf("/%s, %s: %d reads, %d versions, %d step backs, longest %v", v.url, kind, v.reads, len(v.first), v.stepBacks, v.worst.Round(time.Millisecond))
		if v.versions() < 2 {
			t.Errorf("%s reader of /%s met %d version(s): the edits did not reach it, the test proves nothing", kind, v.url, v.versions())
		}
		switch {
		case v.conditional && v.stepBacks > 0:
			t.Errorf("/%s: %d of %d conditional reads stepped back (%s)", v.url, v.stepBacks, v.reads, v.where)
		case !v.conditional && v.worst > stepBackBound:
			t.Errorf("/%s: %s, over the bound %v", v.url, v.where, stepBackBound)
		}
	}
	if problem := agree(urls); problem != "" {
		t.Errorf("the replicas disagree: %s", problem)
	}
	// A replica that starts serves the newest publication from its first
	// answer.
	reps = append(reps, startReplica(t, cfg))
	if problem := agree(urls); problem != "" {
		t.Errorf("a replica just started: %s", problem)
	}
	// Each page's ETag names the publication that changed it.
	resp, _ := get(t, reps[1].base+"/world.rss")
	if tag := resp.Header.Get("Etag"); !strings.HasPrefix(tag, `"`) || !strings.Contains(tag, ".") {
		t.Errorf("world.rss ETag %s does not name its publication", tag)
	} else if _, err := strconv.ParseInt(strings.TrimPrefix(tag[:strings.IndexByte(tag, '.')], `"`), 10, 64); err != nil {
		t.Errorf("world.rss ETag %s: %v", tag, err)
	}
}
