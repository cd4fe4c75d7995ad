package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/sync/errgroup"
	"golang.org/x/text/unicode/norm"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
)

// Config configures a folder of article files.
type Config struct {
	// Name is the source name from the config; it is part of every
	// article's ID.
	Name string
	// Path is the absolute path of the folder; subfolders are included.
	Path string
	// BaseURL is the public site root, ending in "/"; articles without a
	// URL of their own get BaseURL + Page.
	BaseURL string
	// Trailers are extra trailer patterns (config key `trailers`), added to
	// extract.DefaultTrailers; see there for their syntax.
	Trailers []string
	// Raw keeps the trailers (config `clean: false`): no end-of-article
	// chrome is cut. A saved page's article is still extracted.
	Raw bool
	// FollowSymlinks lets symbolic links lead outside Path; by default
	// they are skipped with a warning (see insideRoot).
	FollowSymlinks bool
	// DateFormats are Go time layouts tried first for front matter dates
	// (config key `date_format`), as a page source's.
	DateFormats []string
	// Batch is how many changed files one collection reads at most
	// (default 1,000): the rest are read by the next ones, which
	// the collector runs at once (sources.Result.More).
	Batch int
}

// defaultBatch is Config.Batch's default: a first import reads and
// commits a large folder 1,000 files at a time, holding only those in
// memory.
const defaultBatch = 1000

// maxFileSize caps the size of one article file. Articles are text; a
// bigger file is a mistake (a video named .txt) and is reported, not read.
const maxFileSize = 16 << 20

// Folder is a Source reading articles from a folder: .txt (readText), .md
// and .markdown (ReadMarkdown), .html and .htm (ReadHTML), extensions in
// any case. It never writes.
//
// Identity depends only on the source name and the file's slash-separated
// path relative to the folder, so editing a file never changes it:
// ID is "urn:uuid:" + the UUIDv5 of "herald:files:NAME:REL" (see
// articleUUID); Page is "articles/" + slug of REL + "-" + the UUID's first 8
// hex digits + ".html"; URL is BaseURL + Page, unless the file names its
// own http(s) URL (front matter url, canonical link), in which case Page
// is empty and no page is rendered for it. Moving or renaming a file makes
// it a new article.
type Folder struct {
	cfg      Config
	base     *url.URL
	trailers *extract.Trailers
	log      *slog.Logger
	// afterWalk, when set, runs between listing and reading: a seam for
	// tests of a folder that changes during a collection.
	afterWalk func()
}

var _ sources.Source = (*Folder)(nil)

// New validates cfg and compiles its trailer patterns. A nil log
// discards.
func New(cfg Config, log *slog.Logger) (*Folder, error) {
	if cfg.Name == "" {
		return nil, errors.New("files source: name is empty")
	}
	if cfg.Path == "" || !filepath.IsAbs(cfg.Path) {
		return nil, fmt.Errorf("files source %q: path %q is not absolute", cfg.Name, cfg.Path)
	}
	base := feed.ParseHTTPURL(cfg.BaseURL)
	if base == nil || !strings.HasSuffix(cfg.BaseURL, "/") {
		return nil, fmt.Errorf("files source %q: base URL %q is not an absolute http(s) URL ending in \"/\"", cfg.Name, cfg.BaseURL)
	}
	tr, err := extract.NewTrailers(cfg.Trailers)
	if err != nil {
		return nil, fmt.Errorf("files source %q: %w", cfg.Name, err)
	}
	if cfg.Raw {
		tr = nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Path = filepath.Clean(cfg.Path)
	return &Folder{cfg: cfg, base: base, trailers: tr, log: log}, nil
}

// Name returns the configured source name.
func (f *Folder) Name() string { return f.cfg.Name }

// fileJob is one article file found by the walk.
type fileJob struct {
	path string // absolute
	rel  string // slash-separated, relative to the folder
	read func(context.Context, []byte, *extract.Trailers) (feed.Article, error)
	// markup is set for Markdown and HTML, read under maxMarkupSize.
	markup bool
	// symlink is set when the walk could not see what the file is.
	symlink bool
	// target is what a symlink was resolved to and checked against the
	// folder (insideRoot), read instead of path; "" otherwise.
	target string
	// stamp is the file's size and modification time as the walk saw
	// them; zero for a symlink, which is always read.
	stamp sources.FileStamp
}

// fileNote is a warning about one file that is not an error: a file
// skipped or a value ignored. It is logged once, then kept in
// State.Skipped and not logged again while it stays the same.
type fileNote struct {
	path, text string
}

// Collect reads every article file under the folder, in lexical path
// order, skipping hidden files and folders (names starting with ".").
// Files of other kinds and files with nothing to publish are skipped with a
// warning, logged once (prev.Skipped remembers it). A file that cannot be
// read or parsed is skipped and reported: the other articles come back
// with an error joining one error per such file. A missing or unreadable
// folder, or a cancelled ctx, returns no articles and an error.
//
// Dates: a file that declares a date (front matter, meta tags) is trusted
// entirely; when it declares only one of published and updated, the other
// equals it. A file that declares none is dated by its modification time
// (UTC, whole seconds) for both. So an unchanged file yields the same
// article on every run.
//
// A file whose size and modification time are those prev.Files stamped
// is not read: its article's ID is returned in Kept.
func (f *Folder) Collect(ctx context.Context, prev sources.State) (sources.Result, error) {
	if l, ok := prev.Resume.(*listing); ok && l.f == f {
		res, err := f.collectPart(ctx, prev, l)
		if !errors.Is(err, errListingStale) {
			return res, err
		}
		// Files listed at the start of this collection are gone: the
		// folder changed under a large import. List it again.
		f.log.Debug("listing again", "folder", f.cfg.Path)
	}
	l, err := f.list(ctx, prev)
	if err != nil {
		return sources.Result{State: prev}, err
	}
	return f.collectPart(ctx, prev, l)
}

// listing is what one walk of the folder found, less what earlier parts
// of the collection read. A collection that returns More hands it on in
// State.Resume, so a first import of n files walks the folder once, not
// n/Batch times.
type listing struct {
	f *Folder
	// jobs are the changed files not read yet, in walk order.
	jobs []fileJob
	// old are the stamps the walk was compared with: the IDs of changed
	// files left for later parts are kept from them.
	old map[string]sources.FileStamp
	// stamps are the unchanged files' stamps; only the first part uses
	// them (later ones start from the state the part before returned).
	stamps map[string]sources.FileStamp
	// notes are the notes of every file not read again (the walk's and
	// those of unchanged files); parts add theirs.
	notes []fileNote
	// errs are the walk's per-file errors, reported by the first part.
	errs []error
	// unstamped are the IDs of articles earlier parts read from files
	// with no stamp (symbolic links, always read): still returned.
	unstamped []string
	// first is set until the first part is read.
	first bool
}

// errListingStale reports that a file listed by an earlier part's walk
// has vanished: the part is read again from a fresh listing.
var errListingStale = errors.New("folder listing is stale")

// list walks the folder and compares it with prev.Files: a file whose
// size and modification time are stamped there is not read again.
func (f *Folder) list(ctx context.Context, prev sources.State) (*listing, error) {
	all, notes, errs, err := f.walk(ctx)
	if err != nil {
		return nil, err
	}
	if f.afterWalk != nil {
		f.afterWalk()
	}
	l := &listing{f: f, old: prev.Files, stamps: make(map[string]sources.FileStamp, len(all)), notes: notes, errs: errs, first: true}
	l.jobs = all[:0:0]
	for _, j := range all {
		if old, ok := prev.Files[j.rel]; ok && j.stamp.ModTime != 0 && old.Size == j.stamp.Size && old.ModTime == j.stamp.ModTime {
			// An ID "" stamps a file skipped with a note: not read again either.
			l.stamps[j.rel] = old
			if n, ok := prev.Skipped[j.path]; ok { // a note about a value the file still has
				l.notes = append(l.notes, fileNote{j.path, n})
			}
			continue
		}
		l.jobs = append(l.jobs, j)
	}
	return l, nil
}

// collectPart reads the next Batch of l's changed files. Its state
// stamps every file listed and read so far; when files are left, it
// returns More and l, advanced, in State.Resume.
func (f *Folder) collectPart(ctx context.Context, prev sources.State, l *listing) (sources.Result, error) {
	start := time.Now()
	stamps, errs := l.stamps, l.errs
	if !l.first {
		// prev is the previous part's state: the files it stamped are
		// exactly those listed and not left for later. Its map is never
		// written into.
		stamps = make(map[string]sources.FileStamp, len(prev.Files)+f.batch())
		for rel, st := range prev.Files {
			stamps[rel] = st
		}
	}
	// Every article already read stays current: those of stamped files,
	// and those read from unstamped ones by earlier parts.
	kept := make([]string, 0, len(stamps)+len(l.unstamped))
	for _, st := range stamps {
		if st.ID != "" {
			kept = append(kept, st.ID)
		}
	}
	kept = append(kept, l.unstamped...)
	unstamped := l.unstamped
	notes := slices.Clone(l.notes)
	jobs, rest := l.jobs, []fileJob(nil)
	more := len(jobs) > f.batch()
	if more {
		// In walk order, so an interrupted import goes on where it
		// stopped and places its articles as one run would have. A
		// changed file left for later keeps its article current.
		jobs, rest = jobs[:f.batch()], jobs[f.batch():]
		for _, j := range rest {
			if old, ok := l.old[j.rel]; ok && old.ID != "" {
				kept = append(kept, old.ID)
			}
		}
	}
	arts := make([]feed.Article, len(jobs))
	ok := make([]bool, len(jobs))
	fileErrs := make([]error, len(jobs))
	fileNotes := make([]string, len(jobs))

	// Files are independent: spread them over workers, keeping results
	// in walk order so the output does not depend on scheduling. More
	// workers than CPUs, because opening and reading a file blocks in the
	// kernel: on 10,000 files, 4 per CPU cut the time by a fifth.
	var g errgroup.Group
	g.SetLimit(4 * runtime.GOMAXPROCS(0))
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			arts[i], ok[i], fileNotes[i], fileErrs[i] = f.read(ctx, jobs[i])
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return sources.Result{State: prev}, fmt.Errorf("reading %s: %w", f.cfg.Path, err)
	}

	if err := f.vanished(jobs, fileErrs); err != nil {
		if !l.first {
			return sources.Result{State: prev}, errListingStale
		}
		return sources.Result{State: prev}, err
	}
	out := make([]feed.Article, 0, len(jobs))
	for i := range jobs {
		if fileErrs[i] != nil {
			errs = append(errs, fileErrs[i])
		}
		if fileNotes[i] != "" {
			notes = append(notes, fileNote{jobs[i].path, fileNotes[i]})
			// A file skipped with a note (over a parse bound, nothing
			// to publish) is stamped without an ID: while it stays the
			// same it costs no parse, only its note.
			if st := jobs[i].stamp; !ok[i] && fileErrs[i] == nil && st.ModTime != 0 {
				stamps[jobs[i].rel] = st
			}
		}
		if ok[i] {
			out = append(out, arts[i])
			if st := jobs[i].stamp; st.ModTime != 0 {
				st.ID = arts[i].ID
				stamps[jobs[i].rel] = st
			} else {
				unstamped = append(slices.Clip(unstamped), arts[i].ID)
			}
		}
	}
	f.log.Debug("read files", "count", len(out), "kept", len(kept), "duration", time.Since(start).String())
	state := sources.State{Skipped: f.warn(notes, prev.Skipped)}
	if len(stamps) > 0 {
		state.Files = stamps
	}
	if more {
		state.Resume = &listing{f: f, jobs: rest, old: l.old, notes: notes, unstamped: unstamped}
	}
	return sources.Result{Articles: out, Kept: kept, State: state, More: more}, joinFew(errs)
}

// batch is how many changed files one part reads at most.
func (f *Folder) batch() int {
	if f.cfg.Batch <= 0 {
		return defaultBatch
	}
	return f.cfg.Batch
}

// warn logs each note that was not logged at the previous collection and
// returns the notes as State.Skipped.
func (f *Folder) warn(notes []fileNote, prev map[string]string) map[string]string {
	if len(notes) == 0 {
		return nil
	}
	sort.Slice(notes, func(i, j int) bool { return notes[i].path < notes[j].path })
	out := make(map[string]string, len(notes))
	for _, n := range notes {
		out[n.path] = n.text
		if prev[n.path] != n.text {
			f.log.Warn(n.text, "path", n.path)
		}
	}
	return out
}

// walk lists the article files under the folder. Unsupported and hidden
// files are left out (the former with a note); unreadable subfolders and
// special files become errors in errs.
func (f *Folder) walk(ctx context.Context) (jobs []fileJob, notes []fileNote, errs []error, err error) {
	root := f.cfg.Path
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading folder: %w", err) // a *fs.PathError: it names root
	}
	if !info.IsDir() {
		return nil, nil, nil, fmt.Errorf("reading folder %s: not a directory", root)
	}
	// The trailing separator makes WalkDir follow a root that is a
	// symlink to a folder (Lstat would stop at the link).
	w := &walker{f: f, root: root, top: root + string(filepath.Separator)}
	err = filepath.WalkDir(w.top, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return w.visit(p, d, err)
	})
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, nil, fmt.Errorf("reading folder %s: %w", root, err)
	}
	return w.jobs, w.notes, w.errs, nil
}

// walker is one walk of a folder: what it found so far.
type walker struct {
	f         *Folder
	root, top string
	jobs      []fileJob
	notes     []fileNote
	errs      []error
}

// visit is the WalkDir callback for one entry.
func (w *walker) visit(p string, d fs.DirEntry, err error) error {
	if err != nil {
		if p == w.top || d == nil || d.IsDir() {
			// A folder that cannot be read (or vanished meanwhile):
			// publishing the rest would drop its articles.
			return err
		}
		w.errs = append(w.errs, fmt.Errorf("reading %s: %w", p, err))
		return nil
	}
	if p != w.top && strings.HasPrefix(d.Name(), ".") {
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	if d.IsDir() {
		return nil
	}
	read, markup := w.f.readerFor(d.Name())
	if read == nil {
		w.notes = append(w.notes, fileNote{p, "skipping file of unsupported kind"})
		return nil
	}
	if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
		// A FIFO, socket or device named like an article.
		w.errs = append(w.errs, fmt.Errorf("reading %s: not a regular file (%s)", p, d.Type()))
		return nil
	}
	rel, err := filepath.Rel(w.root, p)
	if err != nil {
		return err
	}
	job := fileJob{path: p, rel: filepath.ToSlash(rel), read: read, markup: markup, symlink: d.Type()&fs.ModeSymlink != 0}
	if job.symlink && !w.f.cfg.FollowSymlinks {
		target, note, err := w.f.insideRoot(p)
		if err != nil {
			w.errs = append(w.errs, err)
		}
		if note != "" {
			w.notes = append(w.notes, fileNote{p, note})
		}
		if target == "" {
			return nil
		}
		job.target = target
	}
	if !job.symlink {
		if info, err := d.Info(); err == nil {
			job.stamp = sources.FileStamp{Size: info.Size(), ModTime: info.ModTime().UnixNano()}
		}
	}
	w.jobs = append(w.jobs, job)
	return nil
}

// readerFor returns the reader for a file name's extension, or nil, and
// whether the file is markup (Markdown, HTML): bounded in size and parse
// time (see maxMarkupSize).
func (f *Folder) readerFor(name string) (read func(context.Context, []byte, *extract.Trailers) (feed.Article, error), markup bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt":
		// Linear time: the file's size bounds it.
		return func(_ context.Context, data []byte, t *extract.Trailers) (feed.Article, error) {
			return readText(data, t)
		}, false
	case ".md", ".markdown":
		return func(ctx context.Context, data []byte, t *extract.Trailers) (feed.Article, error) {
			return ReadMarkdown(ctx, data, t, f.cfg.DateFormats)
		}, true
	case ".html", ".htm":
		return ReadHTML, true
	}
	return nil, false
}

// read reads and parses one file. It returns ok=false for a skipped file,
// with an error when the skip must be reported, and a note to warn about
// a skip or an ignored value that is not an error.
//
// A file over a bound (ErrBound: size, parse time, nesting) is skipped
// with a note naming the bound, logged once; the other files publish.
func (f *Folder) read(ctx context.Context, j fileJob) (a feed.Article, ok bool, note string, err error) {
	src := j.path
	if j.target != "" {
		src = j.target
	}
	limit := int64(maxFileSize)
	if j.markup {
		limit = maxMarkupSize
	}
	data, mtime, err := loadFile(src, j.symlink, limit)
	if errors.Is(err, ErrBound) {
		return a, false, "skipping file: " + err.Error(), nil
	}
	if err != nil {
		return a, false, "", fmt.Errorf("reading %s: %w", j.path, err)
	}
	a, err = j.read(ctx, data, f.trailers)
	if errors.Is(err, ErrBound) {
		return feed.Article{}, false, "skipping file: " + err.Error(), nil
	}
	if de := (*dateError)(nil); errors.As(err, &de) {
		// One bad date does not cost the article, nor fail the source.
		note, err = de.Error(), nil
	}
	if errors.Is(err, ErrUntitled) || err == nil && !hasText(a.Title) {
		return a, false, "skipping file with no title", nil
	}
	if err != nil {
		return a, false, "", fmt.Errorf("reading %s: %w", j.path, err)
	}

	id := articleUUID(f.cfg.Name, j.rel)
	a.ID = "urn:uuid:" + id
	a.Source = f.cfg.Name
	if a.URL != "" {
		// The file names its own URL, relative to the site root or
		// absolute: link there, render no page. Anything but http(s)
		// (javascript:, a typo) would be a broken or unsafe link, so the
		// article gets its page instead.
		if u, err := f.base.Parse(a.URL); err == nil && feed.ParseHTTPURL(u.String()) != nil {
			a.URL = u.String()
		} else {
			note = strings.TrimPrefix(note+"; ", "; ") + fmt.Sprintf("ignoring url %q: not http or https", sources.RedactURL(a.URL))
			a.URL = ""
		}
	}
	if a.URL == "" {
		a.Page = "articles/" + pageSlug(j.rel, id[:8]) + ".html"
		a.URL = f.cfg.BaseURL + a.Page
	}
	switch {
	case a.Published.IsZero() && a.Updated.IsZero():
		a.Published, a.Updated = mtime, mtime
	case a.Published.IsZero():
		a.Published = a.Updated
	case a.Updated.IsZero():
		a.Updated = a.Published
	}
	return a, true, note, nil
}

// loadFile reads a regular file of at most limit bytes and returns
// it with its modification time in UTC, truncated to the second. Anything
// else (a FIFO, a device, a folder behind a symlink) is an error rather
// than a read that could block or mislead.
func loadFile(p string, symlink bool, limit int64) ([]byte, time.Time, error) {
	if symlink {
		// Stat before opening: opening a FIFO for reading blocks until a
		// writer comes along. (The walk already knows the type of
		// anything that is not a symlink.)
		if info, err := os.Stat(p); err != nil {
			return nil, time.Time{}, err
		} else if !info.Mode().IsRegular() {
			return nil, time.Time{}, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
		}
	}
	fh, err := os.Open(p)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	if !info.Mode().IsRegular() {
		return nil, time.Time{}, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	if info.Size() > limit {
		if limit < maxFileSize {
			// A bound of its kind of file: a warning, not an error.
			return nil, time.Time{}, fmt.Errorf("file is %d bytes, over the %d limit for Markdown and HTML: %w", info.Size(), limit, ErrBound)
		}
		return nil, time.Time{}, fmt.Errorf("file is %d bytes, over the %d limit", info.Size(), limit)
	}
	// Read the size fstat gave and no more: no read to see EOF, and a file
	// growing meanwhile cannot exceed the limit. A file being written is
	// read as far as it was; the next run reads the rest.
	data := make([]byte, info.Size())
	n, err := io.ReadFull(fh, data)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, time.Time{}, err
	}
	return data[:n], info.ModTime().UTC().Truncate(time.Second), nil
}

// articleUUID returns feed.NameUUID of "herald:files:" + source + ":" +
// rel: fixed by the source name and the relative path alone.
func articleUUID(source, rel string) string {
	return feed.NameUUID("herald:files:" + source + ":" + rel)
}

// slugMax caps the readable part of a page name, in bytes.
const slugMax = 60

// pageSlug returns the page name for rel: the path without extension,
// accents stripped, lower-cased, each run of other than [a-z0-9] turned
// into "-", trimmed and capped at a word boundary, then "-" + hash. A name with nothing
// Latin in it is just the hash.
func pageSlug(rel, hash string) string {
	rel = strings.TrimSuffix(rel, path.Ext(rel))
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(rel) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // the accent of a decomposed letter: é → e
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		default:
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
		if b.Len() > slugMax {
			break
		}
	}
	slug := b.String()
	if len(slug) > slugMax {
		// Cut at the last word boundary that fits, or mid-word if none.
		whole := slug[slugMax] == '-'
		slug = slug[:slugMax]
		if i := strings.LastIndexByte(slug, '-'); !whole && i > 0 {
			slug = slug[:i]
		}
	}
	slug = strings.Trim(slug, "-")
	if slug == "" {
		return hash
	}
	return slug + "-" + hash
}
