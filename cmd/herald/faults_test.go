package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/smallfs"
	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"

	"github.com/heraldfeed/herald/internal/site"
)

// TestMain lets a test run this binary as herald itself (HERALD_RUN_MAIN=1),
// so fault tests can kill a real generate process (childHerald).
func TestMain(m *testing.M) {
	if os.Getenv("HERALD_RUN_MAIN") == "1" {
		main()
		return
	}
	path, cleanup, err := childHerald()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	childPath = path
	code := pgtest.Run(m) // two parallel tests per CPU (see there)
	cleanup()
	os.Exit(code)
}

// childPath is the herald binary children run (childHerald).
var childPath string

// herald returns a command that runs herald as a child process.
func herald(args ...string) *exec.Cmd {
	cmd := exec.Command(childPath, args...)
	cmd.Env = append(os.Environ(), "HERALD_RUN_MAIN=1")
	return cmd
}

// outputTree reads every file under dir by slash path, Herald's
// bookkeeping files (manifest, lock) aside: the manifest records
// modification times, which differ run to run. Temporary files count.
func outputTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".herald-files" || d.Name() == ".herald-lock" {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func treeDiff(want, got map[string]string) string {
	var out []string
	for k, v := range want {
		if w, ok := got[k]; !ok {
			out = append(out, "missing: "+k)
		} else if w != v {
			out = append(out, "differs: "+k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, "extra: "+k)
		}
	}
	sort.Strings(out)
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("… and %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}

// twoConfigs writes n articles and two configs over them that publish
// disjoint sets of pages (the source names differ, so every page name
// does) into the same feed names.
func twoConfigs(t *testing.T, n int) (a, b string) {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		writeFile(t, filepath.Join(dir, "articles", fmt.Sprintf("story-%04d.txt", i)),
			fmt.Sprintf("Story %d\n\n%s\n", i, strings.Repeat(fmt.Sprintf("Paragraph of story %d. ", i), 40)))
	}
	cfg := func(name, source string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, `title: Kill test
base_url: http://news.example/
sources:
  - name: `+source+`
    type: files
    path: ./articles
feeds:
  - name: world
    title: World
    sources: [`+source+`]
    limit: 500
`)
		return p
	}
	return cfg("a.yaml", "alpha"), cfg("b.yaml", "beta")
}

// TestGenerateKillLoop kills real generate processes at random points,
// alternating between two configurations that write the same folder, then
// runs one to completion: the folder must equal, byte for byte, what a
// clean run writes into an empty folder (no file of the other
// configuration, no temporary file).
func TestGenerateKillLoop(t *testing.T) {
	t.Parallel() // child processes only: no in-process run, no shared global
	cfgA, cfgB := twoConfigs(t, 200)
	clean := filepath.Join(t.TempDir(), "clean")
	start := time.Now()
	if out, err := herald("generate", "--config", cfgA, "--out", clean).CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	span := time.Since(start)
	want := outputTree(t, clean)

	out := filepath.Join(t.TempDir(), "public")
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	killed := 0
	for i := range 16 {
		cfg := cfgA
		if i%2 == 1 {
			cfg = cfgB
		}
		cmd := herald("generate", "--config", cfg, "--out", out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(span))))
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			killed++
		}
		cmd.Wait()
	}
	t.Logf("%d kills over a run of %v", killed, span)
	if b, err := herald("generate", "--config", cfgA, "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, b)
	}
	if d := treeDiff(want, outputTree(t, out)); d != "" {
		t.Errorf("after kills, the output differs from a clean run's:\n%s", d)
	}
}

// TestGenerateLocked: a second generate on a folder in use fails with exit
// status 3 and a message naming the folder, and writes nothing.
func TestGenerateLocked(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	out := filepath.Join(t.TempDir(), "public")
	unlock, err := site.Lock(out)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out)
	if code != exitOutput || !strings.Contains(stderr, out) || !strings.Contains(stderr, "in use") {
		t.Errorf("exit %d, stderr %q; want %d naming %s", code, stderr, exitOutput, out)
	}
	if _, err := os.Stat(filepath.Join(out, "world.rss")); err == nil {
		t.Error("a locked folder was written")
	}
}

// TestGenerateOutputProblems: --out naming a file fails before anything is
// collected, with its own exit status.
func TestGenerateOutputProblems(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	file := filepath.Join(t.TempDir(), "public")
	writeFile(t, file, "a file")
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", file, "--log-level", "debug")
	if code != exitOutput || !strings.Contains(stderr, file) {
		t.Errorf("exit %d, stderr %q; want %d naming %s", code, stderr, exitOutput, file)
	}
	if strings.Contains(stderr, "collected") {
		t.Errorf("sources were collected before the output was checked:\n%s", stderr)
	}
}

// TestGenerateMissingFolderKeepsSite: a files source whose folder went
// missing keeps its pages and the feeds that merge it; exit status 1.
func TestGenerateMissingFolderKeepsSite(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story, "b.txt": "Second story\n\nBody.\n"})
	out := filepath.Join(t.TempDir(), "public")
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before := outputTree(t, out)
	articles := filepath.Join(filepath.Dir(cfg), "articles")
	if err := os.Rename(articles, articles+".away"); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out)
	if code != exitPartial || !strings.Contains(stderr, "articles") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitPartial, stderr)
	}
	if d := treeDiff(before, outputTree(t, out)); d != "" {
		t.Errorf("a missing folder changed the site:\n%s", d)
	}
	// Back in place, the next run is a normal one.
	os.Rename(articles+".away", articles)
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if d := treeDiff(before, outputTree(t, out)); d != "" {
		t.Errorf("after recovery:\n%s", d)
	}
}

// TestGenerateInterrupted: a cancelled generate says "interrupted".
func TestGenerateInterrupted(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	var out, errb bytes.Buffer
	ctx, cancel := contextWithCancel()
	cancel()
	code := run(ctx, []string{"generate", "--config", cfg, "--out", filepath.Join(t.TempDir(), "p")}, &out, &errb)
	if code != exitInterrupted || !strings.HasSuffix("\n"+errb.String(), "\nherald: interrupted\n") || strings.Contains(errb.String(), "ERROR") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// TestServeFailedFirstCollection503: while a feed's only source has never
// returned articles (its folder does not exist yet), the feed answers 503
// with Retry-After, not 200 with no items; once the folder appears, 200.
func TestServeFailedFirstCollection503(t *testing.T) {
	t.Parallel() // in-process, with a run (app.Env) of its own
	cfg := testSite(t, "    schedule: \"@every 1s\"\n", nil)
	articles := filepath.Join(filepath.Dir(cfg), "articles")
	os.RemoveAll(articles)
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the failed collection", func() bool { return strings.Contains(logs.String(), "collection failed") })
	resp, _ := get(t, base+"/world.rss")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("feed of a failed first collection: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	writeFile(t, filepath.Join(articles, "a.txt"), "Late story\n\nBody.\n")
	waitFor(t, "the feed", func() bool {
		resp, body := get(t, base+"/world.rss")
		return resp.StatusCode == 200 && strings.Contains(body, "Late story")
	})
}

// TestServeReloadBomb: a nesting bomb sent as a reload is refused before
// the YAML library sees it, and the running configuration stays.
func TestServeReloadBomb(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": "Bomb-proof story\n\nBody.\n"})
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the feed", func() bool {
		resp, _ := get(t, base+"/world.rss")
		return resp.StatusCode == 200
	})
	writeFile(t, cfg, "title: "+strings.Repeat("[", 100000)+"\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the reload error", func() bool { return strings.Contains(logs.String(), "reload failed") })
	if !strings.Contains(logs.String(), "nested more than") {
		t.Errorf("the reload error does not say why:\n%s", logs.String())
	}
	if resp, body := get(t, base+"/world.rss"); resp.StatusCode != 200 || !strings.Contains(body, "Bomb-proof story") {
		t.Errorf("feed after a refused reload: %d", resp.StatusCode)
	}
}

// TestGenerateDiskFull runs generate into a small tmpfs: the run that does
// not fit exits 3 with one message, and the folder keeps the previous
// output exactly.
func TestGenerateDiskFull(t *testing.T) {
	mnt := smallfs.Mount(t, 512<<10)
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	out := filepath.Join(mnt, "public")
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before := outputTree(t, out)
	body := strings.Repeat("A paragraph long enough to fill the disk quickly. ", 200)
	for i := range 100 {
		writeFile(t, filepath.Join(filepath.Dir(cfg), "articles", fmt.Sprintf("big-%03d.txt", i)), fmt.Sprintf("Big %d\n\n%s\n", i, body))
	}
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out, "--log-level", "warn")
	if code != exitOutput || !strings.Contains(stderr, "no space left") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.Contains(stderr, ".tmp") {
		t.Errorf("exit %d, stderr:\n%s\nwant %d and one line about the full disk", code, stderr, exitOutput)
	}
	if d := treeDiff(before, outputTree(t, out)); d != "" {
		t.Errorf("a failed run changed the output:\n%s", d)
	}
}
