package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// feedSource and pageSource are valid sources the error cases start from.
const (
	header = "title: Demo\nbase_url: http://localhost:8080/\n"
	feeds  = "feeds:\n  - name: all\n    title: All\n    sources: [local]\n"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every message, in order
	}{
		{
			name: "syntax error",
			yaml: "title: [Demo\nbase_url: http://x/\n",
			want: []string{`config.yaml:2:1: syntax error: ',' or ']' must be specified`},
		},
		{
			name: "duplicate yaml key",
			yaml: header + "title: Again\n",
			want: []string{`config.yaml:3:1: syntax error: mapping key "title" already defined at [1:1]`},
		},
		{
			name: "two documents",
			yaml: header + "---\ntitle: Other\n",
			want: []string{`config.yaml:4:1: a config holds one YAML document, found another`},
		},
		{
			name: "not a mapping",
			yaml: "- title: Demo\n",
			want: []string{`config.yaml:1:1: expected a mapping, got a list`},
		},
		{
			name: "unknown top-level key",
			yaml: minimal + "titel: Demo\n",
			want: []string{`config.yaml:11:1: titel: unknown key (did you mean "title"?)`},
		},
		{
			name: "unknown nested key",
			yaml: header + "sources:\n  - name: local\n    type: files\n    path: ./a\n  - name: up\n    type: feed\n    url: http://x/\n    schedul: \"@hourly\"\n",
			want: []string{`config.yaml:10:5: sources[1].schedul: unknown key (did you mean "schedule"?)`},
		},
		{
			// Reported with the rest of what is wrong, at once; but not
			// "item: required", the typo's consequence.
			name: "swapped letters suggest the key, not one as far by letters",
			yaml: header + "sources:\n  - name: town\n    type: page\n    url: http://x/\n    itme: article\n",
			want: []string{
				`config.yaml:7:5: sources[0].itme: unknown key (did you mean "item"?)`,
			},
		},
		{
			name: "every unknown key in file order",
			yaml: header + "fetch:\n  timeuot: 3s\n  proxy: http://p/\nfeeds:\n  - name: a\n    limt: 3\n",
			want: []string{
				`config.yaml:4:3: fetch.timeuot: unknown key (did you mean "timeout"?)`,
				`config.yaml:5:3: fetch.proxy: unknown key`,
				`config.yaml:7:5: feeds[0].title: required`,
				`config.yaml:7:5: feeds[0].sources: required: list the sources this feed merges`,
				`config.yaml:8:5: feeds[0].limt: unknown key (did you mean "limit"?)`,
			},
		},
		{
			name: "wrong types",
			yaml: "title: [Demo]\nbase_url: {url: http://x/}\nfeeds:\n  - name: all\n    sources: local\n    limit: abc\n  - name: b\n    include: {a: b}\n    sources: [[x]]\nsources:\n  - name: up\n    full_text: \"true\"\n",
			want: []string{
				`config.yaml:1:8: title: expected a string, got a list`,
				`config.yaml:2:11: base_url: expected a string, got a mapping`,
				`config.yaml:4:5: feeds[0].title: required`,
				`config.yaml:5:14: feeds[0].sources: expected a list, got "local"`,
				`config.yaml:6:12: feeds[0].limit: expected an integer, got "abc"`,
				`config.yaml:7:5: feeds[1].title: required`,
				`config.yaml:8:14: feeds[1].include: expected a list, got a mapping`,
				`config.yaml:9:15: feeds[1].sources[0]: expected a string, got a list`,
				`config.yaml:11:5: sources[0].type: required: files, feed, page or opml`,
				`config.yaml:12:16: sources[0].full_text: expected true or false, got "true"`,
			},
		},
		{
			name: "section of the wrong type",
			yaml: header + "fetch: fast\nsources: local\n",
			want: []string{
				`config.yaml:3:8: fetch: expected a mapping, got "fast"`,
				`config.yaml:4:10: sources: expected a list, got "local"`,
			},
		},
		{
			name: "bad duration and size",
			yaml: header + "fetch:\n  timeout: 30\n  connect_timeout: 10 seconds\n  max_body: 10 furlongs\nfeeds:\n  - name: a\n    max_age: 30d\n",
			want: []string{
				`config.yaml:4:12: fetch.timeout: expected a duration such as "30s" or "15m", got the number 30`,
				`config.yaml:5:20: fetch.connect_timeout: invalid duration "10 seconds": use a number and a unit (ns, us, ms, s, m, h) such as "30s" or "720h"`,
				`config.yaml:6:13: fetch.max_body: invalid size "10 furlongs": unknown unit "furlongs" (use KiB, MiB, GiB, KB, MB or GB)`,
				`config.yaml:8:5: feeds[0].title: required`,
				`config.yaml:8:5: feeds[0].sources: required: list the sources this feed merges`,
				`config.yaml:9:14: feeds[0].max_age: invalid duration "30d": use a number and a unit (ns, us, ms, s, m, h) such as "30s" or "720h"`,
			},
		},
		{
			name: "empty file",
			yaml: "# nothing yet\n",
			want: []string{`config.yaml:1:1: file is empty: a config needs at least title, base_url, sources and feeds`},
		},
		{
			name: "missing required",
			yaml: "description: x\nsources:\n  - name: local\n    type: files\n  - name: up\n    type: feed\n  - type: page\n    url: http://x/\n  - name: t\nfeeds:\n  - name: all\n  - title: T\n    sources: []\n",
			want: []string{
				`config.yaml:1:1: title: required`,
				`config.yaml:1:1: base_url: required`,
				`config.yaml:3:5: sources[0].path: required for a files source`,
				`config.yaml:5:5: sources[1].url: required for a feed source`,
				`config.yaml:7:5: sources[2].name: required`,
				`config.yaml:9:5: sources[3].type: required: files, feed, page or opml`,
				`config.yaml:11:5: feeds[0].title: required`,
				`config.yaml:11:5: feeds[0].sources: required: list the sources this feed merges`,
				`config.yaml:12:5: feeds[1].name: required`,
				`config.yaml:13:14: feeds[1].sources: required: list the sources this feed merges`,
			},
		},
		{
			name: "duplicate names",
			yaml: header + "sources:\n  - name: local\n    type: files\n    path: a\n  - name: local\n    type: files\n    path: b\n" +
				feeds + "  - name: all\n    title: Again\n    sources: [local, local]\n",
			want: []string{
				`config.yaml:7:11: sources[1].name: duplicate source name "local" (first at sources[0])`,
				`config.yaml:14:11: feeds[1].name: duplicate feed name "all" (first at feeds[0])`,
				`config.yaml:16:22: feeds[1].sources[1]: source "local" listed twice`,
			},
		},
		{
			name: "bad names",
			yaml: header + "sources:\n  - name: Local News\n    type: files\n    path: a\nfeeds:\n  - name: ../world\n    title: W\n    sources: [Local News]\n",
			want: []string{
				`config.yaml:4:11: sources[0].name: invalid source name "Local News": use lower-case letters, digits, '-' and '_', starting with a letter or digit`,
				`config.yaml:8:11: feeds[0].name: invalid feed name "../world": use lower-case letters, digits, '-' and '_', starting with a letter or digit`,
				`config.yaml:10:15: feeds[0].sources[0]: unknown source "Local News"`,
			},
		},
		{
			name: "unknown source in feed",
			yaml: header + "sources:\n  - name: articles\n    type: files\n    path: a\nfeeds:\n  - name: world\n    title: World\n    sources: [articles, artcles]\n",
			want: []string{`config.yaml:10:25: feeds[0].sources[1]: unknown source "artcles"`},
		},
		{
			name: "bad urls",
			yaml: "title: Demo\nbase_url: localhost:8080\nsources:\n  - name: up\n    type: feed\n    url: ftp://example.org/feed\n  - name: web\n    type: page\n    url: \"http://exa mple.org/\"\n    item: a\n    title: b\n    link: c\n",
			want: []string{
				`config.yaml:2:11: base_url: want an absolute http(s) URL, got "localhost:8080"`,
				`config.yaml:6:10: sources[0].url: want an absolute http(s) URL, got "ftp://example.org/feed"`,
				`config.yaml:9:10: sources[1].url: invalid URL "http://exa mple.org/": invalid character " " in host name`,
			},
		},
		{
			name: "bad schedules",
			yaml: header + "schedule: every 5 minutes\nsources:\n  - name: up\n    type: feed\n    url: http://x/\n    schedule: \"CRON_TZ=Mars/Olympus 0 * * * *\"\n  - name: up2\n    type: feed\n    url: http://x/\n    schedule: TZ=Europe/Paris\n",
			want: []string{
				`config.yaml:3:11: schedule: invalid schedule "every 5 minutes": expected exactly 5 fields, found 3: [every 5 minutes]`,
				`config.yaml:8:15: sources[0].schedule: invalid schedule "CRON_TZ=Mars/Olympus 0 * * * *": unknown time zone "Mars/Olympus": unknown time zone Mars/Olympus`,
				`config.yaml:12:15: sources[1].schedule: invalid schedule "TZ=Europe/Paris": time zone "Europe/Paris" must be followed by a schedule`,
			},
		},
		{
			// Schedules are checked by the scheduler's parser, which is
			// stricter than cron's.
			name: "schedules the scheduler rejects",
			yaml: header + "schedule: \"0 0 30 2 *\"\nsources:\n  - name: up\n    type: feed\n    url: http://x/\n    schedule: \"@every 100ms\"\n",
			want: []string{
				`config.yaml:3:11: schedule: invalid schedule "0 0 30 2 *": schedule never fires`,
				`config.yaml:8:15: sources[0].schedule: invalid schedule "@every 100ms": @every 100ms: period must be at least 1s`,
			},
		},
		{
			name: "bad timezone",
			yaml: header + "sources:\n  - name: up\n    type: feed\n    url: https://e.org/f\n    timezone: Europe/Pariss\n",
			want: []string{`config.yaml:7:15: sources[0].timezone: unknown time zone "Europe/Pariss": want an IANA name such as "Europe/Paris"`},
		},
		{
			name: "timezone on a files source",
			yaml: header + "sources:\n  - name: local\n    type: files\n    path: a\n    timezone: Europe/Paris\n",
			want: []string{`config.yaml:7:5: sources[0].timezone: not valid for a files source`},
		},
		{
			name: "bad regexps",
			yaml: header + "sources:\n  - name: local\n    type: files\n    path: a\n    trailers: [\"ok\", \"(unclosed\"]\nfeeds:\n  - name: all\n    title: All\n    sources: [local]\n    include: [\"*china\"]\n    exclude: [\"x\", \"[z-a]\"]\n",
			want: []string{
				"config.yaml:7:22: sources[0].trailers[1]: invalid regexp: error parsing regexp: missing closing ): `(unclosed`",
				"config.yaml:12:15: feeds[0].include[0]: invalid regexp: error parsing regexp: missing argument to repetition operator: `*`",
				"config.yaml:13:20: feeds[0].exclude[1]: invalid regexp: error parsing regexp: invalid character class range: `z-a`",
			},
		},
		{
			name: "keys not valid for the type",
			yaml: header + "sources:\n  - name: local\n    type: files\n    path: a\n    item: article\n    full_text: false\n  - name: up\n    type: feed\n    url: http://x/\n    path: ./cache\n    date_format: [\"2006\"]\n",
			want: []string{
				`config.yaml:7:5: sources[0].item: not valid for a files source`,
				`config.yaml:8:5: sources[0].full_text: not valid for a files source`,
				`config.yaml:12:5: sources[1].path: not valid for a feed source`,
				`config.yaml:13:5: sources[1].date_format: not valid for a feed source`,
			},
		},
		{
			name: "bad selectors, all at once, each with its place",
			yaml: header + "sources:\n  - name: town\n    type: page\n    url: http://x/\n    item: \"article[\"\n    title: h2\n    link: \"a::\"\n    date: \"time >\"\n",
			want: []string{
				`config.yaml:7:11: sources[0].item: invalid CSS selector "article[": expected identifier, found EOF instead`,
				`config.yaml:9:11: sources[0].link: invalid CSS selector "a::": expected identifier, found EOF instead`,
				`config.yaml:10:11: sources[0].date: invalid CSS selector "time >": expected selector, found EOF instead`,
			},
		},
		{
			// 0 once meant "no retries"; it is refused rather than
			// silently become the default.
			name: "retries: 0",
			yaml: header + "fetch:\n  retries: 0\nsources:\n  - {name: local, type: files, path: a}\nfeeds:\n  - {name: all, title: All, sources: [local]}\n",
			want: []string{`config.yaml:4:12: fetch.retries: 0 is the default (2 retries) here, as everywhere in the configuration: write -1 to disable retrying, or remove the key`},
		},
		{
			name: "unknown source type",
			yaml: header + "sources:\n  - name: local\n    type: folder\n    path: a\n",
			want: []string{`config.yaml:5:11: sources[0].type: unknown source type "folder": want files, feed, page or opml`},
		},
		{
			name: "out of range numbers",
			yaml: header + "listen: localhost\nfetch:\n  timeout: 0s\n  connect_timeout: -1s\n  max_body: 0\n  retries: -2\n  per_host: 0\nsources:\n  - name: local\n    type: files\n    path: a\nfeeds:\n  - name: all\n    title: All\n    sources: [local]\n    limit: 0\n    max_age: -1h\n",
			want: []string{
				`config.yaml:3:9: listen: want host:port such as "127.0.0.1:8080" or ":8080", got "localhost"`,
				`config.yaml:5:12: fetch.timeout: must be positive, got 0s`,
				`config.yaml:6:20: fetch.connect_timeout: must be positive, got -1s`,
				`config.yaml:7:13: fetch.max_body: must be positive, got 0`,
				`config.yaml:8:12: fetch.retries: want a count of retries, or -1 for none, got -2`,
				`config.yaml:9:13: fetch.per_host: must be positive, got 0`,
				`config.yaml:18:12: feeds[0].limit: must be positive, got 0`,
				`config.yaml:19:14: feeds[0].max_age: must not be negative, got -1h0m0s`,
			},
		},
		{
			// The checker resolves aliases itself and places the problem
			// at the alias, naming it.
			name: "alias of the wrong type",
			yaml: header + "feeds:\n  - name: a\n    title: A\n    include: &topics [x]\n    exclude: [*topics]\n",
			want: []string{`config.yaml:7:15: feeds[0].exclude[0]: expected a string, got a list (through alias *topics)`},
		},
		{
			name: "bad language",
			yaml: header + "language: english-please\nfeeds:\n  - name: all\n    title: All\n    language: \"e\"\n",
			want: []string{
				`config.yaml:3:11: language: invalid language tag "english-please": want BCP 47 such as "en" or "pt-BR"`,
				`config.yaml:7:15: feeds[0].language: invalid language tag "e": want BCP 47 such as "en" or "pt-BR"`,
				`config.yaml:5:5: feeds[0].sources: required: list the sources this feed merges`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("config.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse returned no error, want:\n%s\nconfig: %+v", strings.Join(tt.want, "\n"), c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			// Each problem is an *Error a caller can inspect.
			var n int
			for _, e := range unjoin(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Errorf("error %q is %T, want *config.Error", e, e)
					continue
				}
				if ce.File != "config.yaml" {
					t.Errorf("Error.File = %q, want %q", ce.File, "config.yaml")
				}
				n++
			}
			if n != len(tt.want) {
				t.Errorf("got %d *Error values, want %d", n, len(tt.want))
			}
		})
	}
}

// TestErrorFields checks that the position and path are fields, not just
// text, for the example in the package documentation.
func TestErrorFields(t *testing.T) {
	_, err := Parse("config.yaml", []byte(header+"sources:\n  - name: a\n    type: files\n    path: a\n    schedul: \"@hourly\"\n"))
	var got *Error
	if !errors.As(err, &got) {
		t.Fatalf("Parse error = %v (%T), want a *config.Error", err, err)
	}
	want := &Error{File: "config.yaml", Line: 7, Column: 5, Path: "sources[0].schedul", Msg: `unknown key (did you mean "schedule"?)`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Error mismatch (-want +got):\n%s", diff)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"full", Error{File: "c.yaml", Line: 3, Column: 7, Path: "feeds[0].limit", Msg: "bad"}, "c.yaml:3:7: feeds[0].limit: bad"},
		{"no place", Error{File: "c.yaml", Path: "title", Msg: "required"}, "c.yaml: title: required"},
		{"no path", Error{File: "c.yaml", Line: 1, Column: 1, Msg: "bad"}, "c.yaml:1:1: bad"},
		{"bare", Error{Path: "title", Msg: "required"}, "title: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
