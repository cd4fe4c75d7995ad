package app

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkColdImport: the peak resident memory of a real `herald
// generate` and of a real `herald serve` importing a folder of 100,000
// articles (about 2 KB each) into an empty data_dir, one feed with limit
// 50 (goal: under 300 MB each). serve's figure is taken once it has
// collected the folder and published the feed. Reports generate-peak-MB,
// generate-s, serve-peak-MB and serve-s.
//
//	go test ./internal/app -run '^$' -bench ColdImport -benchtime 1x
func BenchmarkColdImport(b *testing.B) {
	n := 100_000
	if s := os.Getenv("HERALD_BENCH_ARTICLES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	writeArticles(b, filepath.Join(dir, "articles"), n)
	writeFile(b, filepath.Join(dir, "config.yaml"), `title: Bench
base_url: http://localhost:8080/
data_dir: ./data
sources:
  - {name: articles, type: files, path: ./articles, schedule: "@every 1h"}
feeds:
  - {name: all, title: All, sources: [articles], limit: 50}
`)
	bin := filepath.Join(dir, "herald")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/herald").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config.yaml")
	for range b.N {
		os.RemoveAll(filepath.Join(dir, "data"))
		os.RemoveAll(filepath.Join(dir, "out"))
		start := time.Now()
		cmd := exec.Command(bin, "generate", "--config", cfg, "--out", filepath.Join(dir, "out"))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("generate: %v\n%s", err, out)
		}
		b.ReportMetric(float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024, "generate-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "generate-s")

		os.RemoveAll(filepath.Join(dir, "data"))
		peak, took := coldServe(b, bin, cfg)
		b.ReportMetric(peak, "serve-peak-MB")
		b.ReportMetric(took.Seconds(), "serve-s")
	}
}

// coldServe runs serve on cfg until it has collected every source and
// answers the feed, and returns its peak resident memory then (MB) and
// the time it took.
func coldServe(b *testing.B, bin, cfg string) (float64, time.Duration) {
	start := time.Now()
	cmd := exec.Command(bin, "serve", "--config", cfg, "--addr", "127.0.0.1:0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	collected := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		done := false
		for sc.Scan() {
			if !done && regexp.MustCompile(`msg=collected `).MatchString(sc.Text()) {
				close(collected)
				done = true
			}
		}
	}()
	select {
	case <-collected:
	case <-time.After(10 * time.Minute):
		b.Fatal("serve did not collect within 10 minutes")
	}
	took := time.Since(start)
	// The build after the collection: give it the time it takes, then
	// read the peak (VmHWM only grows).
	time.Sleep(2 * time.Second)
	return peakMB(b, cmd.Process.Pid), took
}

// peakMB is the peak resident memory (VmHWM) of the running process pid,
// in MB.
func peakMB(tb testing.TB, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		tb.Fatal("no VmHWM")
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024
}
