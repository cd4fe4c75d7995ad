package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/heraldfeed/herald/feed"
)

// Counts is what a run of a Writer changed in its folder.
type Counts struct {
	Written   int // files created or replaced
	Unchanged int // files whose bytes were already there
	Removed   int // stale files removed
}

// Writer writes a run of files under a folder in two phases, the files
// coming one at a time so that a run's memory does not grow with what it
// writes: Add writes each changed file to a temporary next to its
// destination at once and keeps only its path and hash (phase one);
// Commit renames them all into place, removes stale files and records the
// manifest (phase two). Abort, or an error from Add (a full disk),
// removes what the run created and leaves the previous output as it was,
// so the error is one message. A file whose bytes are already there is
// left alone, so its modification time (and the Last-Modified a static
// web server derives from it) only moves when its content changes. Files
// written by an earlier run that are no longer produced are removed,
// except those Commit's keep returns true for (given their path and the
// source that produced them): those stay as they are, and stay Herald's.
// No other file in the folder is touched, and no path may leave it.
//
// Nothing inside the folder is followed if it is a symbolic link: a link
// where the Writer needs a folder or a file (articles/ pointing
// elsewhere, a feed linked to a file outside) stops the run, naming the
// path; a stale file that is a link is removed as a link, its target
// untouched. Every operation goes through an os.Root, which refuses paths
// that leave the folder even if a link appears meanwhile. The folder
// itself may be a link: that is the operator's choice.
//
// A Writer does not lock its folder; callers that may run concurrently
// take Lock.
type Writer struct {
	dir      string
	root     *os.Root // dir; every path below is relative to it
	previous Manifest
	checked  map[string]bool // paths checked for links
	cleaned  map[string]bool // folders whose stale temporaries are gone
	files    []written
	current  map[string]bool // paths this run produces
	created  []string        // folders this run created, outermost first
	// dirs are the folders files go to, each opened once: an operation on
	// a name in one costs one system call, not one per folder on its path
	// (a run writes thousands of article pages into one folder).
	dirs map[string]*os.Root
	// fresh are the folders this run created: no file can be in the way
	// there, so nothing is looked up before writing.
	fresh  map[string]bool
	counts Counts
	done   bool
}

// written is a file of the run as the Writer keeps it.
type written struct {
	path, hash, source string
	temp               string // its temporary, until renamed; "" when unchanged
}

// NewWriter starts a run writing to dir, creating dir if needed. It
// refuses, before anything is written, a link on the way to a file of the
// previous run.
func NewWriter(dir string) (*Writer, error) {
	w, err := openWriter(dir)
	if err != nil {
		return nil, err
	}
	if err := w.start(); err != nil {
		return nil, err
	}
	return w, nil
}

func openWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("writing %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", dir, err)
	}
	return &Writer{dir: dir, root: root, previous: readManifest(root), checked: map[string]bool{},
		cleaned: map[string]bool{}, current: map[string]bool{}, dirs: map[string]*os.Root{}, fresh: map[string]bool{}}, nil
}

// start checks the previous run's paths for links and removes the stale
// temporaries in their folders; on error the run is aborted.
func (w *Writer) start() error {
	prev := []string{manifestName}
	for p := range w.previous.Files {
		if err := w.checkLinks(p, false); err != nil {
			w.Abort()
			return err
		}
		prev = append(prev, p)
	}
	w.clean(prev)
	return nil
}

// clean removes the stale temporaries of a killed run from the folders
// of paths, once per folder.
func (w *Writer) clean(paths []string) {
	var dirs []string
	for _, p := range paths {
		if d := filepath.Dir(rel(p)); !w.cleaned[d] {
			w.cleaned[d] = true
			dirs = append(dirs, d)
		}
	}
	removeStaleTemps(w.root, dirs)
}

// Add writes f, unless its bytes are already in place, to a temporary
// next to its destination. A hash the previous complete run recorded is
// trusted while the file's size and mtime are as recorded; otherwise the
// bytes on disk are compared. On error the run is aborted.
func (w *Writer) Add(f feed.File) error {
	if err := w.add(f); err != nil {
		w.Abort()
		return err
	}
	return nil
}

func (w *Writer) add(f feed.File) error {
	if w.done {
		return errors.New("writing after the run ended")
	}
	if err := checkPaths([]feed.File{f}); err != nil {
		return err
	}
	if w.current[f.Path] {
		return fmt.Errorf("writing %s: produced twice", f.Path)
	}
	if err := w.checkLinks(f.Path, true); err != nil {
		return err
	}
	w.current[f.Path] = true
	sum := sha256.Sum256(f.Body)
	e := written{path: f.Path, hash: hex.EncodeToString(sum[:16]), source: f.Source}
	d, name := filepath.Split(rel(f.Path))
	d = filepath.Clean(d)
	if !w.previous.trusted(w.root, f.Path, e.hash) {
		var old []byte
		var err error = fs.ErrNotExist
		if !w.fresh[d] {
			if fi, err := w.root.Lstat(rel(f.Path)); err == nil && fi.IsDir() {
				return fmt.Errorf("writing %s: a folder is in the way", f.Path)
			}
			old, err = w.root.ReadFile(rel(f.Path))
		}
		if err != nil || !bytes.Equal(old, f.Body) {
			if err := w.mkdir(d); err != nil {
				return fmt.Errorf("writing %s: %w", filepath.Join(w.dir, d), err)
			}
			w.clean([]string{f.Path})
			dir, err := w.folder(d)
			if err != nil {
				return fmt.Errorf("writing %s: %w", f.Path, err)
			}
			tmp, err := writeTemp(dir, name, f.Body)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return fmt.Errorf("writing %s: %w", f.Path, err)
			}
			e.temp = filepath.Join(d, tmp)
			w.counts.Written++
		}
	}
	if e.temp == "" {
		w.counts.Unchanged++
	}
	w.files = append(w.files, e)
	return nil
}

// Commit ends the run: the manifest first lists every path the run may
// leave behind (a run interrupted from then on is undone by the next),
// every changed file is renamed into place, the files of the previous
// run this one did not produce are removed unless keep keeps them (given
// their path and the source that produced them: those stay, and stay
// Herald's), and the complete manifest is written.
func (w *Writer) Commit(keep func(path, source string) bool) (Counts, error) {
	if w.done {
		return w.counts, errors.New("writing after the run ended")
	}
	if err := w.journal(); err != nil {
		w.Abort()
		return w.counts, err
	}
	w.done = true
	defer w.root.Close()
	defer w.closeDirs()
	if err := w.renames(); err != nil {
		w.removeTemps()
		return w.counts, err
	}
	return w.counts, w.finish(keep)
}

// Abort ends the run, removing its temporaries and the folders it
// created (deepest first, and only if empty: a folder is only ours when
// this run created it); the previous output stays as it was.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.removeTemps()
	w.closeDirs()
	for _, d := range slices.Backward(w.created) {
		w.root.Remove(d)
	}
	w.root.Close()
}

// folder is the root of folder d of the output folder, opened once per
// run.
func (w *Writer) folder(d string) (*os.Root, error) {
	if d == "." {
		return w.root, nil
	}
	if r, ok := w.dirs[d]; ok {
		return r, nil
	}
	r, err := w.root.OpenRoot(d)
	if err != nil {
		return nil, err
	}
	w.dirs[d] = r
	return r, nil
}

// mkdir makes folder d and the folders above it, once per run; those this
// run creates are fresh.
func (w *Writer) mkdir(d string) error {
	if _, ok := w.dirs[d]; ok || d == "." || w.fresh[d] {
		return nil
	}
	n := len(w.created)
	if err := mkdirAllTracked(w.root, d, &w.created); err != nil {
		return err
	}
	for _, c := range w.created[n:] {
		w.fresh[c] = true
	}
	return nil
}

// closeDirs closes the folders' roots; the Writer's own stays open.
func (w *Writer) closeDirs() {
	for d, r := range w.dirs {
		r.Close()
		delete(w.dirs, d)
	}
}

func (w *Writer) removeTemps() {
	for i := range w.files {
		if t := w.files[i].temp; t != "" {
			w.root.Remove(t)
			w.files[i].temp = ""
		}
	}
}

// checkLinks refuses a symbolic link where the run would write or
// remove path: any folder on the way and, when self is set (a file of
// this run), the file itself (a stale file that is a link is removed as a
// link, which touches nothing outside). Links are refused rather than
// followed or replaced: one inside the output folder is someone's
// deliberate setup, and a run that rewrote it would hide that.
func (w *Writer) checkLinks(path string, self bool) error {
	parts := strings.Split(path, "/")
	if !self {
		parts = parts[:len(parts)-1]
	}
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		if w.checked[p] {
			continue
		}
		if w.fresh[filepath.Dir(rel(p))] {
			return nil // in a folder this run created: only its own files
		}
		w.checked[p] = true
		fi, err := w.root.Lstat(rel(p))
		if errors.Is(err, fs.ErrNotExist) {
			return nil // created by this run, so not a link
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("writing %s: %s is a symbolic link; Herald does not write or remove through links in its output folder", path, p)
		}
	}
	return nil
}

// journal writes the incomplete manifest, listing every path this run may
// leave behind, before the first rename: a run interrupted after it is
// undone by the next.
func (w *Writer) journal() error {
	if w.counts.Written == 0 && w.previous.Complete {
		return nil
	}
	next := Manifest{Files: make(map[string]Entry, len(w.previous.Files)+len(w.files))}
	for p, e := range w.previous.Files {
		next.Files[p] = Entry{Source: e.Source}
	}
	for _, f := range w.files {
		next.Files[f.path] = Entry{Source: f.source}
	}
	return writeAtomic(w.root, manifestName, next.encode())
}

// renames is phase two, which needs no space.
func (w *Writer) renames() error {
	for i := range w.files {
		f := &w.files[i]
		if f.temp == "" {
			continue
		}
		d, name := filepath.Split(rel(f.path))
		dir, err := w.folder(filepath.Clean(d))
		if err == nil {
			err = dir.Rename(filepath.Base(f.temp), name)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
		f.temp = ""
	}
	return nil
}

// checkPaths refuses a file whose path would leave the output folder, take
// the place of Herald's bookkeeping or break the manifest's lines.
func checkPaths(files []feed.File) error {
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) || f.Path == manifestName || f.Path == lockName {
			return fmt.Errorf("writing %s: path escapes the output folder", f.Path)
		}
		if strings.ContainsAny(f.Path, "\t\n\r") || strings.ContainsAny(f.Source, "\t\n\r") {
			return fmt.Errorf("writing %q: control character in a path or source name", f.Path)
		}
	}
	return nil
}

// rel is a file's path as the root takes it.
func rel(path string) string { return filepath.FromSlash(path) }

// finish removes the files of the previous run this one no longer
// produces (unless keep keeps them) and writes the complete manifest.
func (w *Writer) finish(keep func(path, source string) bool) error {
	var errs []error
	final := Manifest{Complete: true, Files: make(map[string]Entry, len(w.files))}
	for p, e := range w.previous.Files {
		if w.current[p] {
			continue
		}
		if keep != nil && keep(p, e.Source) {
			if !w.previous.Complete {
				e = Entry{Source: e.Source} // nothing to trust but the path
			}
			final.Files[p] = e
			continue
		}
		// Remove does not follow a final link: a stale page that is a
		// link goes, its target stays.
		if err := w.root.Remove(rel(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing stale %s: %w", p, err))
			final.Files[p] = Entry{Source: e.Source} // still ours, to remove next time
		} else if err == nil {
			w.counts.Removed++
		}
	}
	for _, f := range w.files {
		e := Entry{Hash: f.hash, Source: f.source}
		d, name := filepath.Split(rel(f.path))
		if dir, err := w.folder(filepath.Clean(d)); err == nil {
			if fi, err := dir.Lstat(name); err == nil {
				e.Size, e.MTime = fi.Size(), fi.ModTime().UnixNano()
			}
		}
		final.Files[f.path] = e
	}
	if err := writeIfChanged(w.root, manifestName, final.encode()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// mkdirAllTracked is MkdirAll within root that appends the folders it
// creates to created, outermost first. It does not follow links: one
// where a folder is needed is an error (refuseLinks reports it first).
func mkdirAllTracked(root *os.Root, d string, created *[]string) error {
	if d == "." {
		return nil
	}
	if fi, err := root.Lstat(d); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("not a folder")
		}
		return nil
	}
	if err := mkdirAllTracked(root, filepath.Dir(d), created); err != nil {
		return err
	}
	if err := root.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	} else if err == nil {
		*created = append(*created, d)
	}
	return nil
}

// writeIfChanged replaces path (in root) with data unless it already
// holds exactly data.
func writeIfChanged(root *os.Root, path string, data []byte) error {
	if old, err := root.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return writeAtomic(root, path, data)
}

// writeAtomic replaces path (in root) with data through a temporary file
// in the same folder (so the rename cannot cross file systems) and a
// rename, which replaces a link rather than writing through it.
func writeAtomic(root *os.Root, path string, data []byte) error {
	tmp, err := writeTemp(root, path, data)
	if err == nil {
		err = root.Rename(tmp, path)
	}
	if err != nil {
		if tmp != "" {
			root.Remove(tmp)
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file next to path (in root)
// and returns its name ("" if it was not created). On error the file is
// removed. O_EXCL makes the open fail on any existing name, a link
// included.
func writeTemp(root *os.Root, path string, data []byte) (string, error) {
	// Hidden, so static servers and globs do not pick it up meanwhile;
	// named so the next run can recognise and remove it (tmpPattern).
	base := filepath.Base(path)
	if len(base) > 200 {
		base = base[:200]
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.%d.tmp", strings.TrimPrefix(base, "."), os.Getpid(), tmpSeq.Add(1)))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

var tmpSeq atomic.Uint64
