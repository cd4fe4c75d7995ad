package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpConfig compares Configs on what callers see: unexported bookkeeping
// (the AST, key positions) is ignored, and nil and empty lists are equal.
var cmpConfig = []cmp.Option{cmpopts.IgnoreUnexported(Config{}), cmpopts.EquateEmpty()}

const minimal = `title: Demo
base_url: https://example.org/news
sources:
  - name: local
    type: files
    path: ./articles
feeds:
  - name: all
    title: Everything
    sources: [local]
`

// writeConfig writes data as config.yaml in a new temporary folder and
// returns its path.
func writeConfig(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadMinimalAppliesDefaults(t *testing.T) {
	path := writeConfig(t, minimal)
	dir := filepath.Dir(path)

	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		Title:    "Demo",
		BaseURL:  "https://example.org/news/",
		Author:   "Demo",
		Schedule: "@every 15m",
		Listen:   "127.0.0.1:8080",
		DataDir:  filepath.Join(dir, "data"),
		FastPath: true,
		Fetch: Fetch{
			Timeout:        30 * time.Second,
			ConnectTimeout: 10 * time.Second,
			MaxBody:        10 << 20,
			Retries:        2,
			PerHost:        2,
		},
		Sources: []Source{{Name: "local", Type: TypeFiles, Path: filepath.Join(dir, "articles"), Keep: DefaultKeep}},
		Feeds: []Feed{{
			Name: "all", Title: "Everything", Description: "Everything",
			Sources: []string{"local"}, Limit: 50,
		}},
		Path: path,
		Dir:  dir,
	}
	if diff := cmp.Diff(want, got, cmpConfig...); diff != "" {
		t.Errorf("Load(%q) mismatch (-want +got):\n%s", path, diff)
	}
}

func TestLoadKeepsExplicitValues(t *testing.T) {
	path := writeConfig(t, `title: Demo
base_url: http://localhost:8080/
description: Site
language: fr
author: Desk
schedule: "CRON_TZ=Europe/Paris 0 6 * * *"
listen: ":9000"
data_dir: /var/lib/herald
fast_path: false
fetch:
  user_agent: Bot/1
  timeout: 1m
  connect_timeout: 5s
  max_body: 512KB
  retries: -1
  per_host: 4
sources:
  - name: up
    type: feed
    url: https://example.org/feed.xml
    schedule: "@hourly"
    timezone: America/New_York
    full_text: true
  - name: web
    type: page
    url: https://example.org/news/
    item: article
    title: h2
    link: h2 a
    date: time
    date_format: ["02 Jan 2006"]
    summary: p
feeds:
  - name: mix
    title: Mix
    description: Both
    language: en-GB
    sources: [up, web]
    limit: 5
    include: ["(?i)china"]
    exclude: ["(?i)sponsored"]
    max_age: 720h
`)
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		Title: "Demo", BaseURL: "http://localhost:8080/", Description: "Site",
		Language: "fr", Author: "Desk", Schedule: "CRON_TZ=Europe/Paris 0 6 * * *",
		Listen: ":9000", DataDir: "/var/lib/herald",
		Fetch: Fetch{UserAgent: "Bot/1", Timeout: time.Minute, ConnectTimeout: 5 * time.Second,
			MaxBody: 512_000, Retries: -1, PerHost: 4},
		Sources: []Source{
			{Name: "up", Type: TypeFeed, URL: "https://example.org/feed.xml", Schedule: "@hourly",
				Timezone: "America/New_York", FullText: true, Keep: DefaultKeep},
			{Name: "web", Type: TypePage, URL: "https://example.org/news/", Item: "article",
				Title: "h2", Link: "h2 a", Date: "time", DateFormat: []string{"02 Jan 2006"}, Summary: "p", Keep: DefaultKeep},
		},
		Feeds: []Feed{{Name: "mix", Title: "Mix", Description: "Both", Language: "en-GB",
			Sources: []string{"up", "web"}, Limit: 5, Include: []string{"(?i)china"},
			Exclude: []string{"(?i)sponsored"}, MaxAge: 720 * time.Hour}},
		Path: path,
		Dir:  filepath.Dir(path),
	}
	if diff := cmp.Diff(want, got, cmpConfig...); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
	if s, ok := got.Source("up"); !ok || got.ScheduleFor(s) != "@hourly" {
		t.Errorf("ScheduleFor(up) = %q (found %v), want %q", got.ScheduleFor(s), ok, "@hourly")
	}
	if s, ok := got.Source("web"); !ok || got.ScheduleFor(s) != "CRON_TZ=Europe/Paris 0 6 * * *" {
		t.Errorf("ScheduleFor(web) = %q (found %v), want the global schedule", got.ScheduleFor(s), ok)
	}
	if _, ok := got.Source("nope"); ok {
		t.Error(`Source("nope") found a source, want none`)
	}
}

func TestRelativePaths(t *testing.T) {
	tests := []struct {
		name     string
		path     string // value of sources[0].path
		dataDir  string // value of data_dir, "" for none
		wantPath string // relative to the config's folder unless absolute
		wantData string
	}{
		{"dot slash", "./articles", "", "articles", "data"},
		{"bare", "articles", "state", "articles", "state"},
		{"parent", "../shared/articles", "../state", "../shared/articles", "../state"},
		{"absolute", "/srv/articles", "/var/lib/herald", "/srv/articles", "/var/lib/herald"},
		{"unclean absolute", "/srv//x/../articles/", "/var/lib/./herald", "/srv/articles", "/var/lib/herald"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The config lives in a subfolder so ".." has somewhere to go.
			dir := filepath.Join(t.TempDir(), "etc")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			data := strings.Replace(minimal, "./articles", tt.path, 1)
			if tt.dataDir != "" {
				data += "data_dir: " + tt.dataDir + "\n"
			}
			path := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			// Load through a relative path, as an operator would type it.
			t.Chdir(filepath.Dir(dir))
			c, err := Load(filepath.Join("etc", "config.yaml"))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			abs := func(p string) string {
				if filepath.IsAbs(p) {
					return p
				}
				return filepath.Join(dir, p)
			}
			got := []string{c.Path, c.Dir, c.Sources[0].Path, c.DataDir}
			want := []string{path, dir, abs(tt.wantPath), abs(tt.wantData)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[Path Dir sources[0].path data_dir] mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseWithoutPathResolvesAgainstWorkingDir(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	c, err := Parse("", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Path != "" || c.Dir != wd || c.Sources[0].Path != filepath.Join(wd, "articles") {
		t.Errorf("Path, Dir, sources[0].path = %q, %q, %q; want \"\", %q, %q",
			c.Path, c.Dir, c.Sources[0].Path, wd, filepath.Join(wd, "articles"))
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping os.ErrNotExist", err)
	}
}

// TestShippedConfig keeps the example at the repository root loadable and
// in step with the schema and the articles beside it.
func TestShippedConfig(t *testing.T) {
	c, err := Load("../../config.yaml")
	if err != nil {
		t.Fatalf("Load(../../config.yaml): %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "Herald demo" || c.BaseURL != "http://localhost:8080/" {
		t.Errorf("title, base_url = %q, %q; want \"Herald demo\", \"http://localhost:8080/\"", c.Title, c.BaseURL)
	}
	wantSources := []Source{{Name: "articles", Type: TypeFiles, Path: filepath.Join(root, "articles"), Keep: DefaultKeep}}
	if diff := cmp.Diff(wantSources, c.Sources, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
	wantFeeds := []Feed{{
		Name: "world", Title: "World news", Description: "Articles about the world",
		Language: c.Language, Sources: []string{"articles"}, Limit: 50,
	}}
	if diff := cmp.Diff(wantFeeds, c.Feeds, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("feeds mismatch (-want +got):\n%s", diff)
	}
	if c.ScheduleFor(c.Sources[0]) != DefaultSchedule {
		t.Errorf("ScheduleFor(articles) = %q, want %q", c.ScheduleFor(c.Sources[0]), DefaultSchedule)
	}

	// The example articles: one of each kind the files source reads.
	var exts []string
	err = filepath.WalkDir(c.Sources[0].Path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(c.Sources[0].Path, p)
			exts = append(exts, filepath.Dir(rel)+" "+filepath.Ext(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantExts := []string{". .html", ". .md", ". .txt", "notes .md"}
	if diff := cmp.Diff(wantExts, exts, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("example articles (folder, extension) mismatch (-want +got):\n%s", diff)
	}
}

func TestScheduleForFallsBack(t *testing.T) {
	tests := []struct {
		name   string
		global string
		source string
		want   string
	}{
		{"source wins", "@daily", "@hourly", "@hourly"},
		{"global", "@daily", "", "@daily"},
		{"neither", "", "", DefaultSchedule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Schedule: tt.global}
			if got := c.ScheduleFor(Source{Schedule: tt.source}); got != tt.want {
				t.Errorf("ScheduleFor = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestValidateBuiltConfig covers a Config assembled in code: problems are
// still all reported, by key path, just without a place in a file.
func TestValidateBuiltConfig(t *testing.T) {
	c := &Config{
		Title: "T", BaseURL: "http://x/", Schedule: "@hourly", Listen: ":80", DataDir: "/d",
		Fetch: Fetch{Timeout: time.Second, ConnectTimeout: time.Second, MaxBody: 1, PerHost: 1},
		Sources: []Source{
			{Name: "a", Type: TypeFiles, Path: "/a", Item: "div"},
			{Name: "a", Type: TypeFeed, URL: "http://x/feed"},
		},
		Feeds: []Feed{{Name: "f", Title: "F", Sources: []string{"a", "b"}, Limit: 1}},
	}
	want := []string{
		`sources[0].item: not valid for a files source`,
		`sources[1].name: duplicate source name "a" (first at sources[0])`,
		`feeds[0].sources[1]: unknown source "b"`,
	}
	if diff := cmp.Diff(want, errorLines(c.Validate())); diff != "" {
		t.Errorf("Validate mismatch (-want +got):\n%s", diff)
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "1048576", want: MiB},
		{in: "10MiB", want: 10 * MiB},
		{in: "10 mib", want: 10 * MiB},
		{in: "512KiB", want: 512 * KiB},
		{in: "1GiB", want: GiB},
		{in: "500KB", want: 500_000},
		{in: "2MB", want: 2_000_000},
		{in: "3GB", want: 3_000_000_000},
		{in: "7B", want: 7},
		{in: "", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "1.5MiB", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "10XB", wantErr: true},
		{in: "9223372036854775807GiB", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseByteSize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseByteSize(%q) error = %v, want error: %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseByteSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0B"}, {7, "7B"}, {1536, "1536B"}, {2048, "2KiB"}, {10 * MiB, "10MiB"}, {GiB, "1GiB"}, {500_000, "500000B"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

// errorLines splits a (possibly joined) error into its messages.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// TestAnchorsAndMergeKeys shows YAML's own sharing works: the checker
// leaves aliases and merge keys to goccy's decoder.
func TestAnchorsAndMergeKeys(t *testing.T) {
	c, err := Parse("config.yaml", []byte(`title: Demo
base_url: http://localhost:8080/
sources:
  - &web {name: a, type: feed, url: "http://x/feed", full_text: true}
  - <<: *web
    name: b
feeds:
  - name: all
    title: All
    sources: [a, b]
    include: &topics ["(?i)china", "(?i)india"]
  - name: rest
    title: Rest
    sources: [a]
    exclude: *topics
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Source{
		{Name: "a", Type: TypeFeed, URL: "http://x/feed", FullText: true, Keep: DefaultKeep},
		{Name: "b", Type: TypeFeed, URL: "http://x/feed", FullText: true, Keep: DefaultKeep},
	}
	if diff := cmp.Diff(want, c.Sources, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(c.Feeds[0].Include, c.Feeds[1].Exclude); diff != "" || len(c.Feeds[1].Exclude) != 2 {
		t.Errorf("aliased exclude = %q, want the anchored include %q", c.Feeds[1].Exclude, c.Feeds[0].Include)
	}
}
