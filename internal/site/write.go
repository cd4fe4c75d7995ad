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
	"sync"
	"sync/atomic"
)

// WriteDir writes files under dir, creating it if needed; see Write.
func WriteDir(dir string, files []File) error { return Write(dir, files, nil) }

// Write writes files under dir, creating it if needed, in two phases: every
// changed file is first written to a temporary file next to its
// destination; only when all of them are written are they renamed into
// place. A write error (a full disk) stops the run at the first error,
// removes what the run created and leaves the previous output as it was,
// so the error is one message. A file whose bytes are already there is
// left alone, so its modification time (and the Last-Modified a static web
// server derives from it) only moves when its content changes. Files
// written by an earlier Write that are no longer produced are removed,
// except those keep returns true for (given their path and the source
// that produced them): those stay as they are, and stay Herald's. No other
// file in dir is touched, and no path may leave dir.
//
// Nothing inside dir is followed if it is a symbolic link: a link where
// Write needs a folder or a file (articles/ pointing elsewhere, a feed
// linked to a file outside) stops the run before anything is written,
// naming the path; a stale file that is a link is removed as a link, its
// target untouched. Every operation goes through an os.Root, which
// refuses paths that leave dir even if a link appears meanwhile. dir
// itself may be a link: that is the operator's choice.
//
// Write does not lock dir; callers that may run concurrently take Lock.
func Write(dir string, files []File, keep func(path, source string) bool) error {
	_, err := WriteCounted(dir, files, keep)
	return err
}

// Counts is what a Write changed in its folder.
type Counts struct {
	Written   int // files created or replaced
	Unchanged int // files whose bytes were already there
	Removed   int // stale files removed
}

// WriteCounted is Write, also reporting what it changed.
func WriteCounted(dir string, files []File, keep func(path, source string) bool) (Counts, error) {
	w := &writer{dir: dir, files: files}
	err := w.write(keep)
	return w.counts, err
}

func (w *writer) write(keep func(path, source string) bool) error {
	dir, files := w.dir, w.files
	if err := checkPaths(files); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	defer root.Close()
	w.root = root
	w.previous = readManifest(root)
	if err := w.refuseLinks(); err != nil {
		return err
	}
	removeStaleTemps(root, w.paths())
	if err := w.plan(); err != nil {
		return err
	}
	if err := w.makeDirs(); err != nil {
		return err
	}
	if err := w.writeTemps(); err != nil {
		w.rollBack()
		return err
	}
	if err := w.journal(); err != nil {
		w.rollBack()
		return err
	}
	if err := w.renames(); err != nil {
		w.removeTemps()
		return err
	}
	return w.finish(keep)
}

// checkPaths refuses a file whose path would leave the output folder, take
// the place of Herald's bookkeeping or break the manifest's lines.
func checkPaths(files []File) error {
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

// writer is one Write, step by step. Each step leaves what the next needs
// in its fields; a failing step's caller undoes what the run created.
type writer struct {
	dir      string
	root     *os.Root // dir; every path below is relative to it
	files    []File
	previous Manifest

	hashes  []string        // per file: the manifest's content hash
	changed []bool          // per file: its bytes are not in place yet
	current map[string]bool // paths this run produces
	created []string        // folders this run created, outermost first
	temps   []string        // per file: its temporary, until renamed
	counts  Counts
}

// rel is a file's path as the root takes it.
func rel(path string) string { return filepath.FromSlash(path) }

// refuseLinks stops the run, before anything is written or removed, if a
// symbolic link stands where it would write or remove: any folder on the
// way to a file of this run or of the previous one, and the file itself
// for this run's files (a stale file that is a link is removed as a link,
// which touches nothing outside). Links are refused rather than followed
// or replaced: one inside the output folder is someone's deliberate
// setup, and a run that rewrote it would hide that.
func (w *writer) refuseLinks() error {
	checked := map[string]bool{}
	check := func(path string, self bool) error {
		parts := strings.Split(path, "/")
		if !self {
			parts = parts[:len(parts)-1]
		}
		for i := range parts {
			p := strings.Join(parts[:i+1], "/")
			if checked[p] {
				continue
			}
			checked[p] = true
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
	for _, f := range w.files {
		if err := check(f.Path, true); err != nil {
			return err
		}
	}
	for p := range w.previous.Files {
		if err := check(p, false); err != nil {
			return err
		}
	}
	return nil
}

// paths lists every path the previous run and this one write: the folders
// whose stale temporaries are looked for.
func (w *writer) paths() []string {
	all := make([]string, 0, len(w.previous.Files)+len(w.files))
	for p := range w.previous.Files {
		all = append(all, p)
	}
	for _, f := range w.files {
		all = append(all, f.Path)
	}
	return all
}

// plan decides which files changed: a hash the previous complete run
// recorded is trusted while the file's size and mtime are as recorded;
// otherwise the bytes on disk are compared.
func (w *writer) plan() error {
	w.hashes = make([]string, len(w.files))
	w.changed = make([]bool, len(w.files))
	w.current = make(map[string]bool, len(w.files))
	for i, f := range w.files {
		w.current[f.Path] = true
		sum := sha256.Sum256(f.Body)
		w.hashes[i] = hex.EncodeToString(sum[:16])
		if w.previous.trusted(w.root, f.Path, w.hashes[i]) {
			continue
		}
		if fi, err := w.root.Lstat(rel(f.Path)); err == nil && fi.IsDir() {
			return fmt.Errorf("writing %s: a folder is in the way", f.Path)
		}
		if old, err := w.root.ReadFile(rel(f.Path)); err == nil && bytes.Equal(old, f.Body) {
			continue
		}
		w.changed[i] = true
		w.counts.Written++
	}
	w.counts.Unchanged = len(w.files) - w.counts.Written
	return nil
}

// makeDirs creates the folders the changed files need, remembering which
// it created.
func (w *writer) makeDirs() error {
	for i, f := range w.files {
		if !w.changed[i] {
			continue
		}
		d := filepath.Dir(rel(f.Path))
		if err := mkdirAllTracked(w.root, d, &w.created); err != nil {
			w.removeCreatedDirs()
			return fmt.Errorf("writing %s: %w", filepath.Join(w.dir, d), err)
		}
	}
	return nil
}

// writeTemps is phase one: every changed file to a temporary next to its
// destination, in parallel (the work is system calls), stopping at the
// first error, which names the file rather than its temporary.
func (w *writer) writeTemps() error {
	w.temps = make([]string, len(w.files))
	var failed atomic.Bool
	var firstErr error
	var errOnce sync.Once
	workers := min(2, len(w.files))
	var wg sync.WaitGroup
	for n := range workers {
		wg.Go(func() {
			for i := n; i < len(w.files) && !failed.Load(); i += workers {
				if !w.changed[i] {
					continue
				}
				tmp, err := writeTemp(w.root, rel(w.files[i].Path), w.files[i].Body)
				w.temps[i] = tmp
				if err != nil {
					failed.Store(true)
					var pe *fs.PathError
					if errors.As(err, &pe) {
						err = pe.Err
					}
					errOnce.Do(func() { firstErr = fmt.Errorf("writing %s: %w", w.files[i].Path, err) })
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// journal writes the incomplete manifest, listing every path this run may
// leave behind, before the first rename: a run interrupted after it is
// undone by the next.
func (w *writer) journal() error {
	if !slices.Contains(w.changed, true) && w.previous.Complete {
		return nil
	}
	next := Manifest{Files: make(map[string]Entry, len(w.previous.Files)+len(w.files))}
	for p, e := range w.previous.Files {
		next.Files[p] = Entry{Source: e.Source}
	}
	for _, f := range w.files {
		next.Files[f.Path] = Entry{Source: f.Source}
	}
	return writeAtomic(w.root, manifestName, next.encode())
}

// renames is phase two, which needs no space.
func (w *writer) renames() error {
	for i, f := range w.files {
		if w.temps[i] == "" {
			continue
		}
		if err := w.root.Rename(w.temps[i], rel(f.Path)); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		w.temps[i] = ""
	}
	return nil
}

// finish removes the files of the previous run this one no longer
// produces (unless keep keeps them) and writes the complete manifest.
func (w *writer) finish(keep func(path, source string) bool) error {
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
	for i, f := range w.files {
		e := Entry{Hash: w.hashes[i], Source: f.Source}
		if fi, err := w.root.Lstat(rel(f.Path)); err == nil {
			e.Size, e.MTime = fi.Size(), fi.ModTime().UnixNano()
		}
		final.Files[f.Path] = e
	}
	if err := writeIfChanged(w.root, manifestName, final.encode()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// rollBack removes the temporaries and the folders this run created.
func (w *writer) rollBack() {
	w.removeTemps()
	w.removeCreatedDirs()
}

func (w *writer) removeTemps() {
	for _, t := range w.temps {
		if t != "" {
			w.root.Remove(t)
		}
	}
}

// removeCreatedDirs removes the folders this run created, deepest first
// and only if empty: a folder is only ours when this run created it.
func (w *writer) removeCreatedDirs() {
	for _, d := range slices.Backward(w.created) {
		w.root.Remove(d)
	}
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
