package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Defaults applied by Load and Parse to keys that are absent (or null).
const (
	DefaultSchedule       = "@every 15m"
	DefaultListen         = "127.0.0.1:8080"
	DefaultDataDir        = "./data"
	DefaultTimeout        = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxBody        = 10 * MiB
	DefaultRetries        = 2
	DefaultPerHost        = 2
	DefaultLimit          = 50
)

// Config is a whole Herald configuration file.
type Config struct {
	// Title is the site title. Required.
	Title string `yaml:"title"`
	// BaseURL is the absolute http(s) URL the site and its feeds are
	// published under. Required; normalized to end in "/".
	BaseURL string `yaml:"base_url"`
	// Description describes the site on index.html. Optional.
	Description string `yaml:"description"`
	// Language is the BCP 47 tag feeds inherit when they set none.
	// Optional; empty means unspecified.
	Language string `yaml:"language"`
	// Author is the feed-level author name. Default: Title.
	Author string `yaml:"author"`
	// Schedule is when sources are collected: a 5-field cron expression
	// or a descriptor ("@every 30m", "@hourly"), optionally prefixed by
	// "CRON_TZ=Area/City " or "TZ=Area/City ". Default "@every 15m".
	Schedule string `yaml:"schedule"`
	// Listen is the TCP address `herald serve` listens on.
	// Default "127.0.0.1:8080". It serves the feeds, pages, index and a
	// minimal /healthz ({"status":"ok"}) to anyone.
	Listen string `yaml:"listen"`
	// AdminListen is a second address that serves the operator's
	// endpoints: /metrics and the detailed /healthz (every source, its
	// last error). Optional; keep it on loopback or a private network.
	// Unset, the operator endpoints are served nowhere unless AdminToken
	// is set.
	AdminListen string `yaml:"admin_listen"`
	// AdminHosts are the host names (without port) the operator listener
	// answers to besides admin_listen's own host, localhost and IP
	// addresses: the names a Prometheus or a browser reaches it by. A
	// request naming any other host gets 421, so a web page that
	// rebinds its own name to the listener's address cannot read it.
	AdminHosts []string `yaml:"admin_hosts"`
	// AdminToken, when set, also serves the operator endpoints on Listen
	// to requests carrying "Authorization: Bearer <token>". At least 16
	// characters; take it from the environment ("${HERALD_ADMIN_TOKEN}").
	AdminToken string `yaml:"admin_token"`
	// RedactParams are query parameter names whose values are secrets,
	// added to the built-in list (token, key, api_key, apikey,
	// access_token, auth, password, secret, sig, signature). Their values,
	// like a URL's user-info, are shown as "***" in every error, log
	// line and endpoint.
	RedactParams []string `yaml:"redact_params"`
	// DataDir is where Herald may write state. Default "./data"; a
	// relative path is resolved against the config file's folder, so
	// after Load it is absolute.
	DataDir string `yaml:"data_dir"`
	// Store selects where Herald keeps what it remembers: "sqlite" (the
	// default) is one database file in DataDir; a PostgreSQL URL
	// ("postgres://user:pass@host:5432/db", best given from the
	// environment as "${DATABASE_URL}") is one database several replicas
	// share, one of them collecting at a time.
	Store string `yaml:"store"`
	// ReplicaLease is how long the leadership of a PostgreSQL store lasts
	// without renewal. A leader that stops (killed, paused, cut off) is
	// replaced within about 1.2 times this; the leader renews it every
	// fifth of it, followers try to take over as often, and the
	// connections' timeouts are shares of it. Optional, default 10s
	// (postgres.DefaultLease); from 5s to 10m. A shorter lease fails over
	// sooner; a longer one rides out longer pauses of a leader (a frozen
	// VM, a slow disk) without handing over.
	ReplicaLease time.Duration `yaml:"replica_lease"`
	// FastPath answers plain GET and HEAD polls of published pages from
	// precomputed bytes before net/http sees them. false serves every
	// request with net/http alone: the switch to flip if the fast path is
	// ever suspected of answering differently. Default true.
	FastPath bool `yaml:"fast_path"`
	// Fetch holds HTTP settings shared by web sources.
	Fetch Fetch `yaml:"fetch"`
	// WebSub announces a hub in the feeds and notifies it of changes.
	WebSub WebSub `yaml:"websub"`
	// Sources are the configured origins of articles, in file order.
	Sources []Source `yaml:"sources"`
	// Feeds are the published feeds, in file order.
	Feeds []Feed `yaml:"feeds"`

	// Path is the absolute path of the file the config was read from;
	// empty when Parse was given no path.
	Path string `yaml:"-"`
	// Dir is the folder relative paths in the file are resolved against:
	// Path's folder, or the working directory when Path is empty.
	Dir string `yaml:"-"`

	// name is the path as the caller spelled it, used in messages so
	// they read like the command line the operator typed.
	name string
	// file is the parsed document, kept so Validate can point at lines.
	file *ast.File
	// keys maps the path of every key set to a non-null value (for
	// example "sources[0].url") to the position of the key. Defaults
	// use it to tell "retries: 0" from an absent key.
	keys map[string]token.Position
	// expanded are the values that took text from the environment.
	expanded []expansion
}

// Fetch holds the HTTP settings shared by web (feed and page) sources.
type Fetch struct {
	// UserAgent is sent with every request. Empty means the fetching
	// code's default, "Herald/<version> (+https://github.com/heraldfeed/herald)";
	// config leaves it empty because only the binary knows its version.
	UserAgent string `yaml:"user_agent"`
	// Timeout bounds a whole request, body included. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// ConnectTimeout bounds dialing and the TLS handshake. Default 10s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// MaxBody caps a response body, in bytes. Default 10 MiB. In YAML a
	// plain integer (bytes) or a string with a unit: "512KiB", "10MiB",
	// "1GiB" (powers of 1024) or "500KB", "10MB", "1GB" (powers of 1000).
	MaxBody ByteSize `yaml:"max_body"`
	// Retries is how many times a failed request is retried; -1 disables
	// retrying. Default 2 (absent, or 0 as everywhere).
	Retries int `yaml:"retries"`
	// PerHost is the most concurrent requests to one host. Default 2.
	PerHost int `yaml:"per_host"`
	// AllowHosts are the non-public hosts that URLs taken from fetched
	// content (item links followed for full_text, redirects) may reach:
	// host names ("wiki.corp.example", "*.corp.example"), IP addresses
	// and CIDR prefixes ("10.20.0.0/16"). Optional. Without an entry,
	// such URLs are fetched only when they lead to public addresses, on
	// the host of their source's configured URL too unless that host is
	// written as an IP address. URLs written in the config are always
	// fetched as written.
	AllowHosts []string `yaml:"allow_hosts"`
}

// WebSub configures WebSub (W3C) publishing.
type WebSub struct {
	// Hub is the hub's URL. When set, feeds carry rel="hub" and
	// rel="self" links, and `herald serve` notifies the hub
	// (hub.mode=publish) after each collection that changed a feed.
	// Optional; read once, at start.
	Hub string `yaml:"hub"`
}

// SourceType names a kind of source.
type SourceType string

// The source types. Each accepts the keys listed in its Source field
// comments, plus name, type and schedule.
const (
	TypeFiles SourceType = "files" // local .txt, .md and .html files
	TypeFeed  SourceType = "feed"  // an upstream RSS, Atom or JSON feed
	TypePage  SourceType = "page"  // a web page scraped with CSS selectors
	TypeOPML  SourceType = "opml"  // every feed an OPML file or URL lists
)

// Source is one configured origin of articles.
type Source struct {
	// Name identifies the source in feeds and logs. Required, unique,
	// matching [a-z0-9][a-z0-9_-]*.
	Name string `yaml:"name"`
	// Type is files, feed, page or opml. Required.
	Type SourceType `yaml:"type"`

	// Path is the folder of article files (files: required). Relative
	// paths are resolved against the config file's folder, so after Load
	// it is absolute.
	Path string `yaml:"path"`
	// Trailers are extra Go regexps matching boilerplate lines that end
	// an article ("About the author"), removed with what follows (every
	// type: optional).
	Trailers []string `yaml:"trailers"`
	// Clean removes boilerplate from the source's content: trailers,
	// share, related and comment widgets, feed flare, "The post …
	// appeared first on …", 1×1 tracking images (every type: optional,
	// default true; use CleanContent). false publishes content as the
	// source gives it; a saved page's article is still extracted.
	Clean *bool `yaml:"clean"`
	// FollowSymlinks lets symbolic links in the folder lead outside it
	// (files: optional, default false: such links are skipped with a
	// warning, since folders filled from git or by other users could
	// otherwise publish any file Herald can read).
	FollowSymlinks bool `yaml:"follow_symlinks"`

	// URL is the feed or page to fetch, absolute http(s) (feed, page:
	// required).
	URL string `yaml:"url"`

	// Schedule overrides Config.Schedule for this source; same syntax.
	// Optional: use ScheduleFor to get the effective one.
	Schedule string `yaml:"schedule"`
	// Timezone is the IANA zone for dates written without one (feed, page:
	// optional; empty means UTC). A files source reads such dates as UTC.
	Timezone string `yaml:"timezone"`

	// Item is the CSS selector of one article on the page (page:
	// optional; left out, the page's article list is detected, see
	// webpage.Detect).
	Item string `yaml:"item"`
	// Title is the selector of the title within an item (page: optional;
	// detected when left out).
	Title string `yaml:"title"`
	// Link is the selector of the element whose href links to the
	// article, within an item (page: optional; detected when left out).
	Link string `yaml:"link"`
	// Date is the selector of the date within an item (page: optional).
	Date string `yaml:"date"`
	// DateFormat are Go time layouts tried before the built-in ones
	// (page: optional).
	DateFormat []string `yaml:"date_format"`
	// Summary is the selector of the summary within an item (page: optional).
	Summary string `yaml:"summary"`
	// FullText asks for each article's page to be fetched for its full
	// content (feed, page: optional, default false).
	FullText bool `yaml:"full_text"`

	// Keep is how many articles the source's history keeps besides those
	// the source still returns: an item dropped upstream or a deleted file
	// stays in the feeds until it is past the Keep newest. Optional,
	// default DefaultKeep; -1 keeps all.
	Keep int `yaml:"keep"`
	// KeepFor also removes articles the source no longer returns once
	// they were published longer ago than this. Optional, default 0 (no
	// age limit).
	KeepFor time.Duration `yaml:"keep_for"`
}

// DefaultKeep is the default of Source.Keep.
const DefaultKeep = 1000

// Feed is one published feed, served as NAME.rss, NAME.atom and NAME.json.
type Feed struct {
	// Name is the file stem. Required, unique, matching [a-z0-9][a-z0-9_-]*.
	Name string `yaml:"name"`
	// Title is the feed title. Required.
	Title string `yaml:"title"`
	// Description describes the feed. Default: Title.
	Description string `yaml:"description"`
	// Language is a BCP 47 tag. Default: Config.Language.
	Language string `yaml:"language"`
	// Sources name the configured sources merged into the feed.
	// Required, non-empty.
	Sources []string `yaml:"sources"`
	// Limit is the most items the feed carries, newest first. Default 50.
	Limit int `yaml:"limit"`
	// Include are Go regexps; when set, only articles whose title, summary
	// or content (as text; not tags) match one of them are kept. Optional.
	Include []string `yaml:"include"`
	// Exclude are Go regexps; articles whose title, summary or content
	// match one of them are dropped. Optional.
	Exclude []string `yaml:"exclude"`
	// MaxAge drops articles published longer ago than this. Optional;
	// zero means no limit.
	MaxAge time.Duration `yaml:"max_age"`
}

// alsoValidate returns the checker's errors and, when what is left once
// its problems are taken out still decodes, Validate's errors about
// everything else, ordered by their place in the file: one run of
// `herald check` shows every problem. Validate's errors about a key the
// checker already reported (or one inside it) are left out: they would
// only say the same again ("required" for a value of the wrong type).
func (c *Config) alsoValidate(body ast.Node, chk *checker) []error {
	errs := chk.errs
	if chk.stopped || len(chk.anchors) > 0 {
		// A document too large to walk; or one with anchors, where a bad
		// node may also be another key's value through an alias, and
		// taking it out would make up problems there.
		return errs
	}
	prune(body, chk.bad)
	var v Config
	if err := yaml.NodeToValue(body, &v, yaml.AllowDuplicateMapKey()); err != nil {
		return errs
	}
	v.name, v.Path, v.Dir, v.file, v.keys, v.expanded = c.name, c.Path, c.Dir, c.file, chk.keys, c.expanded
	v.applyDefaults()
	reported := func(path string) bool {
		if chk.suggested[path] {
			return true
		}
		for _, e := range chk.errs {
			var ce *Error
			if errors.As(e, &ce) && ce.Path != "" && (path == ce.Path ||
				strings.HasPrefix(path, ce.Path+".") || strings.HasPrefix(path, ce.Path+"[")) {
				return true
			}
		}
		return false
	}
	if err := v.Validate(); err != nil {
		for _, e := range unjoin(err) {
			var ce *Error
			if errors.As(e, &ce) && reported(ce.Path) || strings.Contains(e.Error(), "more problems") {
				continue
			}
			errs = append(errs, e)
		}
	}
	sort.SliceStable(errs, func(i, j int) bool {
		var a, b *Error
		if !errors.As(errs[i], &a) || !errors.As(errs[j], &b) {
			return false
		}
		return a.Line != 0 && (b.Line == 0 || a.Line < b.Line || a.Line == b.Line && a.Column < b.Column)
	})
	return errs
}

// unjoin returns the errors err joins, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Load reads the file at path and returns its configuration, strictly
// decoded, with defaults applied, relative paths resolved and validated.
// Every error names the file, line, column and key path; when there are
// several, they are joined and each is a *Error. Structural problems
// (syntax, unknown keys, values of the wrong type or format) are all
// reported together first; Validate's checks run once the file decodes.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load from bytes already read. path is used in messages and to
// resolve relative paths; it need not exist.
func Parse(path string, data []byte) (*Config, error) {
	c := &Config{name: path}
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("resolving config path: %w", err)
		}
		c.Path, c.Dir = abs, filepath.Dir(abs)
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("resolving config path: %w", err)
		}
		c.Dir = wd
	}

	data, err := c.prepare(data)
	if err != nil {
		return nil, err
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, c.yamlError(err, nil)
	}
	c.file = f
	body, err := c.body()
	if err != nil {
		return nil, err
	}

	if body == nil {
		e := c.errorAt(nil, "", "file is empty: a config needs at least title, base_url, sources and feeds")
		e.Line, e.Column = 1, 1
		return nil, e
	}
	chk := checker{cfg: c, keys: map[string]token.Position{}, paths: map[lineCol]string{}, anchors: map[string]anchor{}}
	chk.check("", body, configType)
	if len(chk.errs) > 0 {
		return nil, c.joinErrors(c.alsoValidate(body, &chk))
	}
	c.keys = chk.keys
	if body != nil {
		// The checker has already reported unknown keys and wrong types
		// with their paths; decoding strictly again keeps goccy as the
		// single source of truth for how values are converted, and
		// catches anything the checker's schema walk does not model
		// (merge keys, aliases). Duplicate keys written in the file are
		// already a parser error; allowing them here is what lets a key
		// after "<<: *base" override the merged one, as YAML intends.
		var v Config
		if err := yaml.NodeToValue(body, &v, yaml.DisallowUnknownField(), yaml.AllowDuplicateMapKey()); err != nil {
			return nil, c.yamlError(err, chk.paths)
		}
		v.name, v.Path, v.Dir, v.file, v.keys, v.expanded = c.name, c.Path, c.Dir, c.file, c.keys, c.expanded
		c = &v
	}

	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// body returns the single document's root node, nil for an empty file.
func (c *Config) body() (ast.Node, error) {
	var body ast.Node
	for _, doc := range c.file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			e := c.errorAt(nil, "", "a config holds one YAML document, found another")
			if pos, ok := nodePos(doc.Body); ok {
				e.Line, e.Column = pos.Line, pos.Column
			}
			return nil, e
		}
		body = doc.Body
	}
	return body, nil
}

// set reports whether the key at path was given a non-null value.
func (c *Config) set(path string) bool {
	_, ok := c.keys[path]
	return ok
}

func (c *Config) applyDefaults() {
	if c.Author == "" {
		c.Author = c.Title
	}
	if c.Schedule == "" {
		c.Schedule = DefaultSchedule
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	c.DataDir = c.resolve(c.DataDir)
	if !c.set("fast_path") {
		c.FastPath = true
	}
	// Only a valid URL is normalized, so Validate quotes a bad one as written.
	if checkHTTPURL(c.BaseURL) == "" && !strings.HasSuffix(c.BaseURL, "/") {
		c.BaseURL += "/"
	}

	// Numbers are defaulted only when absent, so an explicit 0 that has
	// no meaning (limit: 0, timeout: 0s) is rejected by Validate rather
	// than silently replaced; retries: 0 is refused there too, as it once
	// meant "no retries" (now -1).
	if !c.set("fetch.timeout") {
		c.Fetch.Timeout = DefaultTimeout
	}
	if !c.set("fetch.connect_timeout") {
		c.Fetch.ConnectTimeout = DefaultConnectTimeout
	}
	if !c.set("fetch.max_body") {
		c.Fetch.MaxBody = DefaultMaxBody
	}
	if !c.set("fetch.retries") {
		c.Fetch.Retries = DefaultRetries
	}
	if !c.set("fetch.per_host") {
		c.Fetch.PerHost = DefaultPerHost
	}

	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Keep == 0 {
			s.Keep = DefaultKeep
		}
		if (s.Type == TypeFiles || s.Type == TypeOPML) && s.Path != "" {
			s.Path = c.resolve(s.Path)
		}
	}
	for i := range c.Feeds {
		fd := &c.Feeds[i]
		if fd.Description == "" {
			fd.Description = fd.Title
		}
		if fd.Language == "" {
			fd.Language = c.Language
		}
		if !c.set(fmt.Sprintf("feeds[%d].limit", i)) {
			fd.Limit = DefaultLimit
		}
	}
}

// resolve makes p absolute against the config file's folder.
func (c *Config) resolve(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.Dir, p)
}

// Source returns the source called name.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// CleanContent reports whether s's content is cleaned of boilerplate:
// Clean, true when not set.
func (s Source) CleanContent() bool { return s.Clean == nil || *s.Clean }

// ScheduleFor returns the schedule s is collected on: its own, or the
// global one.
func (c *Config) ScheduleFor(s Source) string {
	if s.Schedule != "" {
		return s.Schedule
	}
	if c.Schedule != "" {
		return c.Schedule
	}
	return DefaultSchedule
}

// storeSQLite is the default Store.
const storeSQLite = "sqlite"

// Postgres reports whether the Store is a PostgreSQL URL.
func (c *Config) Postgres() bool {
	return strings.HasPrefix(c.Store, "postgres://") || strings.HasPrefix(c.Store, "postgresql://")
}
