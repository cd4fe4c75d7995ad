package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
)

const crashEnv = "HERALD_CRASH_CHILD_DIR"

// crashChild is the child process of TestCrashSafety: it saves
// collections of growing histories as fast as it can and prints the
// number of each one committed.
func crashChild(dir string) {
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	start := lastCommitted(ctx, s)
	for n := start + 1; ; n++ {
		list := make([]feed.Article, 0, 50)
		for i := range 50 { // each collection: 50 new articles and 50 edits
			list = append(list, crashArticle(n, i, "v1"))
			if n > 1 {
				list = append(list, crashArticle(n-1, i, fmt.Sprint("edit ", n)))
			}
		}
		if _, err := s.Save(ctx, store.Collection{
			Key: "crash@k", Source: "crash", Articles: list, Now: time.Unix(int64(n), 0),
			Record: store.Record{Status: store.Status{Name: "crash", LastError: strconv.Itoa(n)}},
		}); err != nil {
			fmt.Fprintln(w, "error", err)
			w.Flush()
			os.Exit(1)
		}
		fmt.Fprintln(w, "committed", n)
		w.Flush()
	}
}

func crashArticle(n, i int, content string) feed.Article {
	id := fmt.Sprintf("c%d-%d", n, i)
	at := time.Unix(int64(n*100+i), 0).UTC()
	return feed.Article{ID: id, Title: id, Content: content, Published: at, Updated: at, Source: "crash"}
}

// lastCommitted is the number of the last collection the store holds.
func lastCommitted(ctx context.Context, s *Store) int {
	rec, ok, _ := s.Load(ctx, "crash@k")
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(rec.Status.LastError)
	return n
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// TestCrashSafety kills a real child process (this test binary, re-run)
// with SIGKILL in the middle of saving collections, many times, then
// checks the database's integrity and that every collection the child
// reported committed is there in full.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	kills := 15
	if testing.Short() {
		kills = 5
	}
	for k := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Kill after a random number of commits seen, mid-way to the next.
		want, committed := 1+rand.IntN(4), 0
		for line := range lines {
			if strings.HasPrefix(line, "error") {
				t.Fatalf("child, run %d: %s", k, line)
			}
			if n, err := strconv.Atoi(strings.TrimPrefix(line, "committed ")); err == nil {
				committed = n
				if want--; want == 0 {
					time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
					cmd.Process.Signal(syscall.SIGKILL)
					break
				}
			}
		}
		for range lines { // drain what was printed before the kill
		}
		cmd.Wait()
		if committed == 0 {
			t.Fatalf("run %d: the child committed nothing", k)
		}
		checkCrashDB(t, dir, committed)
	}
}

func checkCrashDB(t *testing.T, dir string, committed int) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	defer s.Close()
	var res string
	if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
	last := lastCommitted(ctx, s)
	if last < committed {
		t.Fatalf("the store's last collection is %d, the child reported %d committed", last, committed)
	}
	arts, err := storetest.History(ctx, s, "crash")
	if err != nil {
		t.Fatal(err)
	}
	// A collection is all or nothing: exactly 50 articles per collection
	// saved, and those of each but the last edited.
	if len(arts) != 50*last {
		t.Fatalf("%d articles after %d collections, want %d", len(arts), last, 50*last)
	}
	byID := map[string]feed.Article{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	for n := 1; n <= committed; n++ {
		a, ok := byID[fmt.Sprintf("c%d-49", n)]
		want := "v1"
		if n < last {
			want = fmt.Sprint("edit ", n+1)
		}
		if !ok || a.Content != want {
			t.Fatalf("collection %d: article %+v (present %v), want content %q", n, a, ok, want)
		}
	}
}
