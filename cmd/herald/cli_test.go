package main

import (
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/internal/app"
)

func TestVersionAndHelp(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // each must appear
		stderr string
	}{
		{name: "version", args: []string{"version"}, stdout: []string{"herald ", "commit ", "go1."}},
		{name: "--version", args: []string{"--version"}, stdout: []string{"herald ", "commit "}},
		{name: "top-level help points to the config reference", args: []string{"help"}, stdout: []string{"generate", "serve", "check", "version", configReference}},
		{name: "--help", args: []string{"--help"}, stdout: []string{"herald help COMMAND"}},
		{name: "help serve", args: []string{"help", "serve"}, stdout: []string{"--addr ADDRESS", "--config FILE", "(default config.yaml)", "--no-fast-path", "Example:\n  herald serve", "4 when"}},
		{name: "serve --help", args: []string{"serve", "--help"}, stdout: []string{"--addr ADDRESS", "Example:"}},
		{name: "generate -h", args: []string{"generate", "-h"}, stdout: []string{"--out FOLDER", "(default public)", "Example:\n  herald generate"}},
		{name: "help check", args: []string{"help", "check"}, stdout: []string{"--config FILE", "herald check --config"}},
		{name: "help unknown", args: []string{"help", "publish"}, code: exitUsage, stderr: `unknown command "publish"`},
		{name: "bad flag names the help", args: []string{"serve", "--adr", "x"}, code: exitUsage, stderr: "see herald help serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
		})
	}
}

func TestBuildInfoStamped(t *testing.T) {
	v, c := version, commit
	t.Cleanup(func() { version, commit = v, c })
	version, commit = "1.4.0", "abc1234"
	_, stdout, _ := runCmd(t, "version")
	if !strings.HasPrefix(stdout, "herald 1.4.0 (commit abc1234, go") {
		t.Errorf("version output %q", stdout)
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	code, _, stderr := runCmd(t, "serve", "--config", cfg, "--addr", ln.Addr().String())
	if code != exitListen {
		t.Errorf("exit %d, want %d", code, exitListen)
	}
	for _, want := range []string{"cannot listen on " + ln.Addr().String(), "address already in use", "--addr", "listen"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestServeReportsVersion(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	base, _, logs := startServe(t, cfg)
	if !strings.Contains(logs.String(), "--addr differs from base_url") {
		t.Errorf("no warning that links point to base_url:\n%s", logs)
	}
	_, body := get(t, base+"/healthz", operator...)
	if !strings.Contains(body, `"version":"`+app.BuildInfo().Version+`"`) {
		t.Errorf("/healthz lacks the version: %s", body)
	}
	_, metrics := get(t, base+"/metrics", operator...)
	if !strings.Contains(metrics, `herald_build_info{commit="`) {
		t.Errorf("/metrics lacks herald_build_info")
	}
}

func TestCheckReportsFolders(t *testing.T) {
	tests := []struct {
		name  string
		extra string // sources appended to the test site
		setup func(t *testing.T, dir string)
		want  []string
	}{
		{
			name:  "missing folder",
			extra: "  - name: gone\n    type: files\n    path: ./does-not-exist\n",
			want:  []string{"config.yaml:10:11: sources[1].path: folder ", "does-not-exist does not exist"},
		},
		{
			name:  "a file, not a folder",
			extra: "  - name: file\n    type: files\n    path: ./config.yaml\n",
			want:  []string{"config.yaml:10:11: sources[1].path: ", "config.yaml is not a folder"},
		},
		{
			// A path that cannot be resolved, unreadable even to root
			// (which the tests may run as, so a chmod 000 would not do).
			name:  "unreadable path",
			extra: "  - name: loop\n    type: files\n    path: ./loop\n",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink("loop", filepath.Join(dir, "loop")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"config.yaml:10:11: sources[1].path: folder ", "cannot be read: too many levels of symbolic links"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testSite(t, tt.extra, map[string]string{"a.txt": story})
			if tt.setup != nil {
				tt.setup(t, filepath.Dir(cfg))
			}
			code, _, stderr := runCmd(t, "check", "--config", cfg)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestCheckFeedWithoutSources(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, cfg, "title: T\nbase_url: http://x.example/\nsources:\n  - {name: s, type: files, path: .}\nfeeds:\n  - name: f\n    title: F\n    sources: []\n")
	code, _, stderr := runCmd(t, "check", "--config", cfg)
	if code != exitUsage || !strings.Contains(stderr, "config.yaml:8:14: feeds[0].sources: required") {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
}

func TestCheckFilesDateFormat(t *testing.T) {
	cfg := testSite(t, `    date_format: ["02/01/2006"]`+"\n", nil)
	if code, _, stderr := runCmd(t, "check", "--config", cfg); code != 0 {
		t.Errorf("date_format on a files source: exit %d: %s", code, stderr)
	}
}

// TestOPMLExport: serve answers /feeds.opml and generate writes it; both
// parse back to every feed's absolute URL.
func TestOPMLExport(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	parse := func(t *testing.T, body []byte) []string {
		t.Helper()
		var doc struct {
			Outlines []struct {
				XMLURL string `xml:"xmlUrl,attr"`
			} `xml:"body>outline"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("parsing feeds.opml: %v\n%s", err, body)
		}
		var urls []string
		for _, o := range doc.Outlines {
			urls = append(urls, o.XMLURL)
		}
		return urls
	}
	want := []string{"http://news.example/world.rss"}

	out := t.TempDir()
	if code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "feeds.opml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := parse(t, b); !slices.Equal(got, want) {
		t.Errorf("generated feeds.opml lists %v, want %v", got, want)
	}

	base, _, _ := startServe(t, cfg)
	waitFor(t, "feeds.opml", func() bool { resp, _ := get(t, base+"/feeds.opml"); return resp.StatusCode == 200 })
	resp, body := get(t, base+"/feeds.opml")
	if ct := resp.Header.Get("Content-Type"); ct != "text/x-opml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := parse(t, []byte(body)); !slices.Equal(got, want) {
		t.Errorf("served feeds.opml lists %v, want %v", got, want)
	}
}
