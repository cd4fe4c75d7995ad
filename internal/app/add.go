package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/config"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/upstream"
	"github.com/heraldfeed/herald/sources/webpage"
)

// AddOptions are herald add's.
type AddOptions struct {
	Config string // the configuration file: read for fetch settings and names taken, written with Write
	URL    string
	Name   string // the source's; "" for one from the URL's host
	Write  bool   // add the source to Config
	Feed   bool   // with Write, also add a feed of the same name
	Logger *slog.Logger
	Stdout io.Writer
	Env    *Env // nil: a run of its own
}

// Add is herald add URL: it looks at a URL and prints a source for the
// configuration (a feed it advertises or is, else a page source), with a
// preview of its first items, and adds it to the file when asked.
func Add(ctx context.Context, o AddOptions) error {
	stdout, log, env := o.Stdout, o.Logger, envOr(o.Env)
	if o.Feed && !o.Write {
		return UsageError{Msg: "add: --feed adds a feed to the configuration file: it needs --write"}
	}
	u := feed.ParseHTTPURL(o.URL)
	if u == nil {
		return UsageError{Msg: fmt.Sprintf("add: %q: want an absolute http or https URL", env.Redact(o.URL))}
	}
	cfg := &config.Config{} // no file: default fetch settings, no names taken
	if _, err := os.Stat(o.Config); o.Write || !errors.Is(err, fs.ErrNotExist) {
		if cfg, err = env.loadConfig(o.Config); err != nil {
			return err
		}
	}
	name := o.Name
	if name == "" {
		name = nameFromHost(u.Hostname())
	}
	if !validName.MatchString(name) {
		return UsageError{Msg: fmt.Sprintf("add: name %q: want lower-case letters, digits, - and _ (choose one with --name)", name)}
	}
	if slices.ContainsFunc(cfg.Sources, func(s config.Source) bool { return s.Name == name }) {
		return UsageError{Msg: fmt.Sprintf("add: %s already has a source named %q: choose another with --name", cfg.Path, name), Brief: true}
	}
	if o.Feed && slices.ContainsFunc(cfg.Feeds, func(f config.Feed) bool { return f.Name == name }) {
		return UsageError{Msg: fmt.Sprintf("add: %s already has a feed named %q: choose another with --name", cfg.Path, name), Brief: true}
	}
	fetcher, err := newFetcher(cfg, log, nil, env.red.Load())
	if err != nil {
		return err
	}
	resp, err := fetcher.Get(ctx, u.String(), sources.Validators{})
	if err != nil {
		return fmt.Errorf("add: cannot fetch %s: %w", u, err)
	}
	var src, notes string
	var arts []feed.Article
	title := pageTitle(resp.Body)
	if kind := webpage.FeedKind(resp.Body, resp.Header.Get("Content-Type")); kind != "" {
		arts, err = feedItems(ctx, fetcher, u.String())
		if err != nil {
			return fmt.Errorf("add: %s is a feed (%s) that Herald cannot read: %w", u, kind, err)
		}
		src = feedSource(name, u.String())
		notes = fmt.Sprintf("%s is itself a feed (%s)", u, kind)
	} else {
		for _, link := range webpage.FeedLinks(resp.Body, resp.URL) {
			// The link is the page's content: fetched under the rules of
			// content first, so a page cannot point Herald at a private
			// address.
			if _, err := fetcher.GetFrom(ctx, link, u.String()); err != nil {
				notes += fmt.Sprintf("advertised feed %s skipped: %v\n", link, err)
				continue
			}
			a, err := feedItems(ctx, fetcher, link)
			if err != nil || len(a) == 0 {
				notes += fmt.Sprintf("advertised feed %s skipped: %v\n", link, err)
				continue
			}
			src, arts = feedSource(name, link), a
			notes += fmt.Sprintf("the page advertises the feed %s", link)
			break
		}
	}
	if src == "" {
		// What detection found is printed below, not logged.
		p, err := webpage.New(webpage.Config{Name: name, URL: u.String()}, fetcher, slog.New(slog.DiscardHandler))
		if err != nil {
			return UsageError{Msg: fmt.Sprintf("add: %v", err)}
		}
		det, a, err := p.Inspect(ctx)
		if err != nil {
			return fmt.Errorf("add: %w", err) // it names the URL
		}
		src, arts = pageSource(name, u.String(), det), a
		notes += "no working feed advertised: a page source, its article list detected (" + det.Strategy + ")"
	}
	notes = strings.TrimSpace(notes)
	fmt.Fprintf(stdout, "# %s\n", env.Redact(strings.ReplaceAll(notes, "\n", "\n# ")))
	fmt.Fprint(stdout, env.Redact(src))
	fmt.Fprintf(stdout, "\npreview: %d items\n", len(arts))
	printItems(stdout, env, arts, 5)
	if !o.Write {
		return nil
	}
	data, err := os.ReadFile(cfg.Path)
	if err != nil {
		return ConfigError{err}
	}
	out, err := insertBlock(data, "sources", src)
	if err == nil && o.Feed {
		if title == "" {
			title = name
		}
		out, err = insertBlock(out, "feeds", fmt.Sprintf("  - name: %s\n    title: %s\n    sources: [%s]\n", name, strconv.Quote(title), name))
	}
	if err != nil {
		return UsageError{Msg: fmt.Sprintf("add: %s: %v; add the source by hand", cfg.Path, err), Brief: true}
	}
	if _, err := config.Parse(cfg.Path, out); err != nil {
		// What we would write does not load: leave the file alone.
		return fmt.Errorf("add: the configuration with the new source would be invalid, %s left unchanged: %w", cfg.Path, err)
	}
	if err := writeFileAtomic(cfg.Path, out); err != nil {
		return fmt.Errorf("add: writing %s: %w", cfg.Path, err)
	}
	fmt.Fprintf(stdout, "\nadded source %s to %s", name, cfg.Path)
	if o.Feed {
		fmt.Fprintf(stdout, " with the feed %s", name)
	}
	fmt.Fprintln(stdout)
	return nil
}

// feedItems collects the feed at link once.
func feedItems(ctx context.Context, f *sources.Fetcher, link string) ([]feed.Article, error) {
	s, err := upstream.New(upstream.Config{Name: "add", URL: link}, f, nil)
	if err != nil {
		return nil, err
	}
	res, err := s.Collect(ctx, sources.State{})
	return res.Articles, err
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// nameFromHost makes a source name of a host: www.Example.org → example-org.
func nameFromHost(host string) string {
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	var b strings.Builder
	for _, r := range host {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func pageTitle(body []byte) string {
	i := bytes.Index(bytes.ToLower(body), []byte("<title"))
	if i < 0 {
		return ""
	}
	rest := body[i:]
	j, k := bytes.IndexByte(rest, '>'), bytes.Index(bytes.ToLower(rest), []byte("</title"))
	if j < 0 || k < j {
		return ""
	}
	return feed.HTMLText(string(rest[j+1:k]), 200)
}

func feedSource(name, link string) string {
	return fmt.Sprintf("  - name: %s\n    type: feed\n    url: %s\n", name, strconv.Quote(link))
}

func pageSource(name, link string, det webpage.Detection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    type: page\n    url: %s\n", name, strconv.Quote(link))
	if det.Path != "" {
		fmt.Fprintf(&b, "    # detected: %s %s (read again at each collection)\n", det.Strategy, det.Path)
		return b.String()
	}
	fmt.Fprintf(&b, "    # detected: %s (read again at each collection); to freeze it, uncomment:\n", det.Strategy)
	for _, kv := range [][2]string{{"item", det.Selectors.Item}, {"title", det.Selectors.Title}, {"link", det.Selectors.Link},
		{"date", det.Selectors.Date}, {"summary", det.Selectors.Summary}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "    # %s: %s\n", kv[0], strconv.Quote(kv[1]))
		}
	}
	return b.String()
}

// insertBlock adds an entry (written with two spaces before its dash)
// at the end of the top-level block sequence key of a YAML document,
// leaving every other byte as it was: comments, blank lines, order. The
// entry takes the indentation of the sequence's first item. A key
// missing is added at the end; a key in flow style ([a, b]) is refused.
func insertBlock(data []byte, key, entry string) ([]byte, error) {
	nl := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		nl = "\r\n" // the file's line endings
		entry = strings.ReplaceAll(entry, "\n", nl)
	}
	lines := strings.SplitAfter(string(data), "\n")
	keyRE := regexp.MustCompile(`^` + key + `:\s*(#.*)?$`)
	start := -1
	for i, l := range lines {
		if keyRE.MatchString(strings.TrimRight(l, "\r\n")) {
			start = i
			break
		}
		if strings.HasPrefix(l, key+":") {
			return nil, fmt.Errorf("%s is not written as a block list", key)
		}
	}
	if start < 0 {
		out := string(data)
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += nl
		}
		return []byte(out + key + ":" + nl + entry), nil
	}
	end := start + 1 // after the block's last line of content
	indent := ""
	found := false
	for i := start + 1; i < len(lines); i++ {
		t := strings.TrimRight(lines[i], "\r\n")
		trim := strings.TrimSpace(t)
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		if t[0] != ' ' && t[0] != '\t' && t[0] != '-' {
			break
		}
		if !found && strings.HasPrefix(trim, "-") {
			indent, found = t[:len(t)-len(strings.TrimLeft(t, " "))], true
		}
		end = i + 1
	}
	if found && indent != "  " {
		entry = reindent(entry, indent)
	}
	if end > 0 && !strings.HasSuffix(lines[end-1], "\n") {
		lines[end-1] += "\n"
	}
	if l := lines[end-1]; nl == "\r\n" && !strings.HasSuffix(l, "\r\n") {
		lines[end-1] = strings.TrimSuffix(l, "\n") + nl
	}
	out := slices.Concat(lines[:end], []string{entry}, lines[end:])
	return []byte(strings.Join(out, "")), nil
}

// reindent moves an entry written with two spaces before its dash to
// indent.
func reindent(entry, indent string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(entry, "\n") {
		if l == "" {
			continue
		}
		b.WriteString(indent + strings.TrimPrefix(l, "  "))
	}
	return b.String()
}

// writeFileAtomic replaces path with data through a temporary file in
// its folder, keeping its mode: a crash leaves the old file or the new.
func writeFileAtomic(path string, data []byte) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".herald-add-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
