package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
	"golang.org/x/text/language"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/scheduler"
)

// namePattern is what source and feed names must match: feed names become
// file names and URL paths, so they stay lower-case and shell-safe.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// typeKeys lists, per source type, the keys that only make sense for some
// types and are allowed for it. Keys not in any list (name, type,
// schedule, trailers, clean) are common to all types. timezone is for web sources only: the
// files source reads a date without a zone as UTC, and saying otherwise in
// the config would be silently ignored.
var typeKeys = map[SourceType][]string{
	TypeFiles: {"path", "follow_symlinks", "date_format"},
	TypeFeed:  {"url", "timezone", "full_text"},
	TypePage:  {"url", "timezone", "item", "title", "link", "date", "date_format", "summary", "full_text"},
	// No full_text: the item links of listed feeds would be fetched with
	// the trust of hosts that content, not the operator, named.
	TypeOPML: {"path", "url", "timezone"},
}

// typeOnlyKeys are the keys allowed for some source types but not all, in
// schema order.
var typeOnlyKeys = []string{"path", "url", "timezone", "item", "title", "link", "date", "date_format", "summary", "full_text", "follow_symlinks"}

// Validate checks c and returns every problem found, joined; each is an
// *Error placed in the file when c came from Load or Parse.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.site()
	v.fetch()
	names := v.sources()
	v.feeds(names)
	v.limits()
	v.checkSecrets()
	return v.c.joinErrors(v.errs)
}

type validator struct {
	c    *Config
	errs []error
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, v.c.errorFor(path, format, args...))
}

func (v *validator) site() {
	c := v.c
	if c.Title == "" {
		v.fail("title", "required")
	}
	if c.BaseURL == "" {
		v.fail("base_url", "required")
	} else if msg := checkHTTPURL(c.BaseURL); msg != "" {
		v.fail("base_url", "%s", msg)
	}
	v.language("language", c.Language)
	v.schedule("schedule", c.Schedule, true)
	if c.Listen == "" {
		v.fail("listen", "required")
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		v.fail("listen", "want host:port such as \"127.0.0.1:8080\" or \":8080\", got %q", c.Listen)
	}
	if c.DataDir == "" {
		v.fail("data_dir", "required")
	}
	// The value is not quoted: a database URL may carry a password.
	if c.Store != "" && c.Store != storeSQLite && !c.Postgres() {
		v.fail("store", "want %q or a PostgreSQL URL (postgres://user:password@host:5432/database)", storeSQLite)
	} else if c.Postgres() {
		if u, err := url.Parse(c.Store); err != nil || u.Host == "" {
			v.fail("store", "not a valid PostgreSQL URL (postgres://user:password@host:5432/database)")
		}
	}
	switch l := c.ReplicaLease; {
	case c.set("replica_lease") && !c.Postgres():
		v.fail("replica_lease", "applies only to a PostgreSQL store (store: postgres://…); SQLite has no replicas")
	case l != 0 && (l < minReplicaLease || l > maxReplicaLease):
		v.fail("replica_lease", "want %v to %v, got %v", minReplicaLease, maxReplicaLease, l)
	}
	if c.AdminListen != "" {
		if _, _, err := net.SplitHostPort(c.AdminListen); err != nil {
			v.fail("admin_listen", "want host:port such as \"127.0.0.1:9090\", got %q", c.AdminListen)
		} else if c.AdminListen == c.Listen {
			v.fail("admin_listen", "must differ from listen (%s): the operator endpoints need their own address", c.Listen)
		}
	}
	for i, h := range c.AdminHosts {
		if h == "" || strings.ContainsAny(h, ":/ *") {
			v.fail(fmt.Sprintf("admin_hosts[%d]", i), "want a host name without port, such as \"herald.internal\", got %q", h)
		}
	}
	if c.WebSub.Hub != "" {
		if msg := checkHTTPURL(c.WebSub.Hub); msg != "" {
			v.fail("websub.hub", "%s", msg)
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < minAdminToken {
		v.fail("admin_token", "too short: use at least %d characters (for example from `openssl rand -hex 24`)", minAdminToken)
	}
	for i, name := range c.RedactParams {
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, "&=?#") {
			v.fail(fmt.Sprintf("redact_params[%d]", i), "want a query parameter name, got %q", name)
		}
	}
}

// minAdminToken is the shortest admin_token accepted: a guessable token
// would open the operator endpoints to anyone.
const minAdminToken = 16

// The bounds of replica_lease: under the minimum the shares of the lease
// (renewals every fifth of it, 2/5 for an idle transaction) come close
// to a loaded machine's pauses, and a leader would give up a lease it
// holds; over the maximum a dead leader leaves the feeds stale for long.
const (
	minReplicaLease = 5 * time.Second
	maxReplicaLease = 10 * time.Minute
)

func (v *validator) fetch() {
	f := v.c.Fetch
	if f.Timeout <= 0 {
		v.fail("fetch.timeout", "must be positive, got %s", f.Timeout)
	}
	if f.ConnectTimeout <= 0 {
		v.fail("fetch.connect_timeout", "must be positive, got %s", f.ConnectTimeout)
	}
	if f.MaxBody <= 0 {
		v.fail("fetch.max_body", "must be positive, got %d", f.MaxBody)
	}
	if f.Retries == 0 && v.c.set("fetch.retries") {
		v.fail("fetch.retries", "0 is the default (2 retries) here, as everywhere in the configuration: write -1 to disable retrying, or remove the key")
	}
	if f.Retries < -1 {
		v.fail("fetch.retries", "want a count of retries, or -1 for none, got %d", f.Retries)
	}
	if f.PerHost <= 0 {
		v.fail("fetch.per_host", "must be positive, got %d", f.PerHost)
	}
	for i, h := range f.AllowHosts {
		p := fmt.Sprintf("fetch.allow_hosts[%d]", i)
		switch h = strings.TrimSpace(h); {
		case h == "":
			v.fail(p, "empty host")
		case strings.Contains(h, "/"):
			if _, err := netip.ParsePrefix(h); err != nil {
				v.fail(p, "want a host name, an IP address or a CIDR prefix such as \"10.0.0.0/8\", got %q", h)
			}
		case strings.ContainsAny(h, ":@?# ") && net.ParseIP(h) == nil:
			v.fail(p, "want a host name without scheme or port, an IP address or a CIDR prefix, got %q", h)
		}
	}
}

// sources validates the sources and returns the set of their names.
func (v *validator) sources() map[string]bool {
	first := map[string]int{}
	for i, s := range v.c.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		v.name(p, "source", s.Name, first, i)

		allowed, known := typeKeys[s.Type]
		switch {
		case s.Type == "":
			v.fail(p+".type", "required: files, feed, page or opml")
		case !known:
			v.fail(p+".type", "unknown source type %q: want files, feed, page or opml", s.Type)
		default:
			v.typeKeys(p, s, allowed)
		}

		v.regexps(p+".trailers", s.Trailers)
		if s.Keep < -1 {
			v.fail(p+".keep", "want a count of articles, or -1 to keep all, got %d", s.Keep)
		}
		if s.KeepFor < 0 {
			v.fail(p+".keep_for", "must not be negative, got %s", s.KeepFor)
		}
		switch s.Type {
		case TypeFiles:
			if s.Path == "" {
				v.fail(p+".path", "required for a files source")
			}
			v.layouts(p, s.DateFormat)
		case TypeOPML:
			switch {
			case s.Path == "" && s.URL == "":
				v.fail(p, "an opml source needs path (a file) or url")
			case s.Path != "" && s.URL != "":
				v.fail(p+".url", "give path or url, not both")
			case s.URL != "":
				if msg := checkHTTPURL(s.URL); msg != "" {
					v.fail(p+".url", "%s", msg)
				}
			}
		case TypeFeed, TypePage:
			if s.URL == "" {
				v.fail(p+".url", "required for a %s source", s.Type)
			} else if msg := checkHTTPURL(s.URL); msg != "" {
				v.fail(p+".url", "%s", msg)
			}
		}
		if s.Type == TypePage {
			// Every selector, each with its place: the source compiles
			// them again, but reports only the first, with no line.
			for _, r := range []struct{ key, val string }{{"item", s.Item}, {"title", s.Title}, {"link", s.Link}, {"date", s.Date}, {"summary", s.Summary}} {
				if strings.TrimSpace(r.val) == "" {
					continue
				}
				if _, err := cascadia.Compile(r.val); err != nil {
					v.fail(p+"."+r.key, "invalid CSS selector %q: %v", r.val, err)
				}
			}
			v.layouts(p, s.DateFormat)
		}
		v.schedule(p+".schedule", s.Schedule, false)
		if s.Timezone != "" {
			if _, err := time.LoadLocation(s.Timezone); err != nil {
				v.fail(p+".timezone", "unknown time zone %q: want an IANA name such as \"Europe/Paris\"", s.Timezone)
			}
		}
	}
	names := make(map[string]bool, len(first))
	for n := range first {
		names[n] = true
	}
	return names
}

// layouts checks the date_format of source p.
func (v *validator) layouts(p string, list []string) {
	for j, layout := range list {
		if strings.TrimSpace(layout) == "" {
			v.fail(fmt.Sprintf("%s.date_format[%d]", p, j), "empty time layout")
		}
	}
}

// typeKeys reports keys of source s (at path p) that its type does not use.
// With a parsed file, a key counts when it is written in the file; for a
// Config built in code, when its field is not the zero value.
func (v *validator) typeKeys(p string, s Source, allowed []string) {
	for _, key := range typeOnlyKeys {
		if contains(allowed, key) {
			continue
		}
		kp := p + "." + key
		var present bool
		if v.c.keys != nil {
			present = v.c.set(kp)
		} else {
			present = !sourceFieldZero(s, key)
		}
		if present {
			v.errs = append(v.errs, v.c.errorForKey(kp, "not valid for a %s source", s.Type))
		}
	}
}

func sourceFieldZero(s Source, key string) bool {
	switch key {
	case "path":
		return s.Path == ""
	case "url":
		return s.URL == ""
	case "item":
		return s.Item == ""
	case "title":
		return s.Title == ""
	case "link":
		return s.Link == ""
	case "date":
		return s.Date == ""
	case "date_format":
		return len(s.DateFormat) == 0
	case "summary":
		return s.Summary == ""
	case "full_text":
		return !s.FullText
	case "follow_symlinks":
		return !s.FollowSymlinks
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validator) feeds(sources map[string]bool) {
	first := map[string]int{}
	for i, fd := range v.c.Feeds {
		p := fmt.Sprintf("feeds[%d]", i)
		v.name(p, "feed", fd.Name, first, i)
		if fd.Title == "" {
			v.fail(p+".title", "required")
		}
		v.language(p+".language", fd.Language)
		if len(fd.Sources) == 0 {
			v.fail(p+".sources", "required: list the sources this feed merges")
		}
		seen := map[string]bool{}
		for j, name := range fd.Sources {
			sp := fmt.Sprintf("%s.sources[%d]", p, j)
			switch {
			case !sources[name]:
				v.fail(sp, "unknown source %q", name)
			case seen[name]:
				v.fail(sp, "source %q listed twice", name)
			}
			seen[name] = true
		}
		if fd.Limit <= 0 {
			v.fail(p+".limit", "must be positive, got %d", fd.Limit)
		}
		v.regexps(p+".include", fd.Include)
		v.regexps(p+".exclude", fd.Exclude)
		if fd.MaxAge < 0 {
			v.fail(p+".max_age", "must not be negative, got %s", fd.MaxAge)
		}
	}
}

// name checks the name of the kind ("source", "feed") at path p, index i,
// recording it in first.
func (v *validator) name(p, kind, name string, first map[string]int, i int) {
	switch {
	case name == "":
		v.fail(p+".name", "required")
	case !namePattern.MatchString(name):
		v.fail(p+".name", "invalid %s name %q: use lower-case letters, digits, '-' and '_', starting with a letter or digit", kind, name)
	default:
		if j, dup := first[name]; dup {
			v.fail(p+".name", "duplicate %s name %q (first at %ss[%d])", kind, name, kind, j)
			return
		}
		first[name] = i
	}
}

func (v *validator) regexps(p string, list []string) {
	for i, expr := range list {
		if _, err := regexp.Compile(expr); err != nil {
			v.fail(fmt.Sprintf("%s[%d]", p, i), "invalid regexp: %v", err)
		}
	}
}

func (v *validator) language(p, tag string) {
	if tag == "" {
		return
	}
	if _, err := language.Parse(tag); err != nil {
		v.fail(p, "invalid language tag %q: want BCP 47 such as \"en\" or \"pt-BR\"", tag)
	}
}

func (v *validator) schedule(p, spec string, required bool) {
	if spec == "" {
		if required {
			v.fail(p, "required")
		}
		return
	}
	if err := checkSchedule(spec); err != nil {
		v.fail(p, "invalid schedule %q: %v", spec, err)
	}
}

// checkSchedule parses spec with the scheduler's own parser, so a spec
// that validates is one the scheduler runs (it is stricter than cron's:
// UTC by default, no "Local" zone, @every of at least a second, no spec
// that never fires).
func checkSchedule(spec string) error {
	if _, err := scheduler.Parse(spec); err != nil {
		// scheduler.Parse quotes the spec; the message already does.
		if inner := errors.Unwrap(err); inner != nil {
			return inner
		}
		return err
	}
	return nil
}

// checkHTTPURL returns what is wrong with raw as an absolute http(s) URL
// (feed.ParseHTTPURL's rule, with no space around it), or "" if nothing
// is.
func checkHTTPURL(raw string) string {
	if feed.ParseHTTPURL(raw) != nil && strings.TrimSpace(raw) == raw {
		return ""
	}
	if _, err := url.Parse(raw); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Sprintf("invalid URL %q: %v", raw, err)
	}
	return fmt.Sprintf("want an absolute http(s) URL, got %q", raw)
}
