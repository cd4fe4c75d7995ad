package sources

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
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
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/heraldfeed/herald/feed"
	"golang.org/x/text/unicode/norm"
)

// FilesConfig configures a folder of article files.
type FilesConfig struct {
	// Name is the source name from the config; it is part of every
	// article's ID.
	Name string
	// Path is the absolute path of the folder; subfolders are included.
	Path string
	// BaseURL is the public site root, ending in "/"; articles without a
	// URL of their own get BaseURL + Page.
	BaseURL string
	// Trailers are extra trailer patterns (config key `trailers`), added to
	// DefaultTrailers; see DefaultTrailers for their syntax.
	Trailers []string
	// FollowSymlinks lets symbolic links lead outside Path; by default
	// they are skipped with a warning (see insideRoot).
	FollowSymlinks bool
}

// filesMaxSize caps the size of one article file. Articles are text; a
// bigger file is a mistake (a video named .txt) and is reported, not read.
const filesMaxSize = 16 << 20

// Files is a Source reading articles from a folder: .txt (ReadText), .md
// and .markdown (ReadMarkdown), .html and .htm (ReadHTML), extensions in
// any case. It never writes.
//
// Identity depends only on the source name and the file's slash-separated
// path relative to the folder, so editing a file never changes it:
// ID is "urn:uuid:" + the UUIDv5 of "herald:files:NAME:REL" (see
// filesUUID); Page is "articles/" + slug of REL + "-" + the UUID's first 8
// hex digits + ".html"; URL is BaseURL + Page, unless the file names its
// own http(s) URL (front matter url, canonical link), in which case Page
// is empty and no page is rendered for it. Moving or renaming a file makes
// it a new article.
type Files struct {
	cfg      FilesConfig
	base     *url.URL
	trailers *Trailers
	log      *slog.Logger
	// afterWalk, when set, runs between listing and reading: a seam for
	// tests of a folder that changes during a collection.
	afterWalk func()
}

var _ Source = (*Files)(nil)

// NewFiles validates cfg and compiles its trailer patterns. A nil log
// discards.
func NewFiles(cfg FilesConfig, log *slog.Logger) (*Files, error) {
	if cfg.Name == "" {
		return nil, errors.New("files source: name is empty")
	}
	if cfg.Path == "" || !filepath.IsAbs(cfg.Path) {
		return nil, fmt.Errorf("files source %q: path %q is not absolute", cfg.Name, cfg.Path)
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || !base.IsAbs() || base.Host == "" || !strings.HasSuffix(cfg.BaseURL, "/") {
		return nil, fmt.Errorf("files source %q: base URL %q is not an absolute URL ending in \"/\"", cfg.Name, cfg.BaseURL)
	}
	tr, err := NewTrailers(cfg.Trailers)
	if err != nil {
		return nil, fmt.Errorf("files source %q: %w", cfg.Name, err)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Path = filepath.Clean(cfg.Path)
	return &Files{cfg: cfg, base: base, trailers: tr, log: log.With("source", cfg.Name)}, nil
}

// Name returns the configured source name.
func (f *Files) Name() string { return f.cfg.Name }

// filesJob is one article file found by the walk.
type filesJob struct {
	path string // absolute
	rel  string // slash-separated, relative to the folder
	read func([]byte, *Trailers) (feed.Article, error)
	// symlink is set when the walk could not see what the file is.
	symlink bool
	// target is what a symlink was resolved to and checked against the
	// folder (insideRoot), read instead of path; "" otherwise.
	target string
}

// Collect reads every article file under the folder, in lexical path
// order, skipping hidden files and folders (names starting with ".").
// Files of other kinds and files with nothing to publish are skipped with a
// warning. A file that cannot be read or parsed is skipped and reported:
// the other articles come back with an error joining one error per such
// file. A missing or unreadable folder, or a cancelled ctx, returns no
// articles and an error.
//
// Dates: a file that declares a date (front matter, meta tags) is trusted
// entirely; when it declares only one of published and updated, the other
// equals it. A file that declares none is dated by its modification time
// (UTC, whole seconds) for both. So an unchanged file yields the same
// article on every run.
func (f *Files) Collect(ctx context.Context) ([]feed.Article, error) {
	start := time.Now()
	jobs, errs, err := f.walk(ctx)
	if err != nil {
		return nil, err
	}
	if f.afterWalk != nil {
		f.afterWalk()
	}
	arts := make([]feed.Article, len(jobs))
	ok := make([]bool, len(jobs))
	fileErrs := make([]error, len(jobs))

	// Files are independent: spread them over workers, keeping results
	// in walk order so the output does not depend on scheduling. More
	// workers than CPUs, because opening and reading a file blocks in the
	// kernel: on 10,000 files, 4 per CPU cut the time by a fifth.
	workers := min(4*runtime.GOMAXPROCS(0), len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				arts[i], ok[i], fileErrs[i] = f.read(jobs[i])
			}
		})
	}
dispatch:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("files source %q: collecting %s: %w", f.cfg.Name, f.cfg.Path, err)
	}

	if err := f.vanished(jobs, fileErrs); err != nil {
		return nil, err
	}
	out := make([]feed.Article, 0, len(jobs))
	for i := range jobs {
		if fileErrs[i] != nil {
			errs = append(errs, fileErrs[i])
		}
		if ok[i] {
			out = append(out, arts[i])
		}
	}
	f.log.Debug("collected files", "count", len(out), "duration", time.Since(start))
	return out, joinFew(errs)
}

// walk lists the article files under the folder. Unsupported and hidden
// files are left out (the former with a warning); unreadable subfolders
// become errors in errs.
func (f *Files) walk(ctx context.Context) (jobs []filesJob, errs []error, err error) {
	root := f.cfg.Path
	info, err := os.Stat(root)
	if err == nil && !info.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("files source %q: reading folder %s: %w", f.cfg.Name, root, err)
	}
	// The trailing separator makes WalkDir follow a root that is a
	// symlink to a folder (Lstat would stop at the link).
	top := root + string(filepath.Separator)
	err = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			if p == top || d == nil || d.IsDir() {
				// A folder that cannot be read (or vanished meanwhile):
				// publishing the rest would drop its articles.
				return err
			}
			f.log.Warn("skipping unreadable folder", "path", p, "error", err)
			errs = append(errs, fmt.Errorf("files source %q: reading %s: %w", f.cfg.Name, p, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != top && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		read := filesReader(d.Name())
		if read == nil {
			f.log.Warn("skipping file of unsupported kind", "path", p)
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			// A FIFO, socket or device named like an article.
			f.log.Warn("skipping unreadable file", "path", p, "error", "not a regular file")
			errs = append(errs, fmt.Errorf("files source %q: reading %s: not a regular file (%s)", f.cfg.Name, p, d.Type()))
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		job := filesJob{path: p, rel: filepath.ToSlash(rel), read: read, symlink: d.Type()&fs.ModeSymlink != 0}
		if job.symlink && !f.cfg.FollowSymlinks {
			target, err := f.insideRoot(p)
			if err != nil {
				errs = append(errs, err)
			}
			if target == "" {
				return nil
			}
			job.target = target
		}
		jobs = append(jobs, job)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("files source %q: reading folder %s: %w", f.cfg.Name, root, err)
	}
	return jobs, errs, nil
}

// filesReader returns the reader for a file name's extension, or nil.
func filesReader(name string) func([]byte, *Trailers) (feed.Article, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt":
		return ReadText
	case ".md", ".markdown":
		return ReadMarkdown
	case ".html", ".htm":
		return ReadHTML
	}
	return nil
}

// read reads and parses one file. It returns ok=false for a skipped file,
// with an error when the skip must be reported.
func (f *Files) read(j filesJob) (feed.Article, bool, error) {
	fail := func(err error) (feed.Article, bool, error) {
		f.log.Warn("skipping unreadable file", "path", j.path, "error", err)
		return feed.Article{}, false, fmt.Errorf("files source %q: reading %s: %w", f.cfg.Name, j.path, err)
	}
	src := j.path
	if j.target != "" {
		src = j.target
	}
	data, mtime, err := filesLoad(src, j.symlink)
	if err != nil {
		return fail(err)
	}
	a, err := j.read(data, f.trailers)
	if errors.Is(err, ErrUntitled) || err == nil && !hasText(a.Title) {
		f.log.Warn("skipping file with no title", "path", j.path)
		return feed.Article{}, false, nil
	}
	if err != nil {
		return fail(err)
	}

	id := filesUUID(f.cfg.Name, j.rel)
	a.ID = "urn:uuid:" + id
	a.Source = f.cfg.Name
	if a.URL != "" {
		// The file names its own URL, relative to the site root or
		// absolute: link there, render no page. Anything but http(s)
		// (javascript:, a typo) would be a broken or unsafe link, so the
		// article gets its page instead.
		if u, err := f.base.Parse(a.URL); err == nil && filesAbsHTTP(u.String()) {
			a.URL = u.String()
		} else {
			f.log.Warn("ignoring url that is not http or https", "path", j.path, "url", RedactURL(a.URL))
			a.URL = ""
		}
	}
	if a.URL == "" {
		a.Page = "articles/" + filesSlug(j.rel, id[:8]) + ".html"
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
	return a, true, nil
}

// filesLoad reads a regular file of at most filesMaxSize bytes and returns
// it with its modification time in UTC, truncated to the second. Anything
// else (a FIFO, a device, a folder behind a symlink) is an error rather
// than a read that could block or mislead.
func filesLoad(p string, symlink bool) ([]byte, time.Time, error) {
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
	if info.Size() > filesMaxSize {
		return nil, time.Time{}, fmt.Errorf("file is %d bytes, over the %d limit", info.Size(), filesMaxSize)
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

// filesNamespace is the RFC 9562 URL namespace; article IDs are name-based
// UUIDs in it so they are fixed by source name and relative path alone.
var filesNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// filesUUID returns the UUIDv5 (SHA-1, RFC 9562 section 5.5) of
// "herald:files:" + source + ":" + rel in filesNamespace, formatted
// 8-4-4-4-12 in lower-case hex.
func filesUUID(source, rel string) string {
	h := sha1.New()
	h.Write(filesNamespace[:])
	h.Write([]byte("herald:files:" + source + ":" + rel))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // variant 10
	x := hex.EncodeToString(u[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// filesSlugMax caps the readable part of a page name, in bytes.
const filesSlugMax = 60

// filesSlug returns the page name for rel: the path without extension,
// accents stripped, lower-cased, each run of other than [a-z0-9] turned
// into "-", trimmed and capped at a word boundary, then "-" + hash. A name with nothing
// Latin in it is just the hash.
func filesSlug(rel, hash string) string {
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
		if b.Len() > filesSlugMax {
			break
		}
	}
	slug := b.String()
	if len(slug) > filesSlugMax {
		// Cut at the last word boundary that fits, or mid-word if none.
		whole := slug[filesSlugMax] == '-'
		slug = slug[:filesSlugMax]
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
