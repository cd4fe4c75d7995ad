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
// Write does not lock dir; callers that may run concurrently take Lock.
func Write(dir string, files []File, keep func(path, source string) bool) error {
	if err := checkPaths(files); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	w := &writer{dir: dir, files: files, previous: ReadManifest(dir)}
	removeStaleTemps(dir, w.paths())
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
	files    []File
	previous Manifest

	hashes  []string        // per file: the manifest's content hash
	changed []bool          // per file: its bytes are not in place yet
	current map[string]bool // paths this run produces
	created []string        // folders this run created, outermost first
	temps   []string        // per file: its temporary, until renamed
}

func (w *writer) abs(path string) string { return filepath.Join(w.dir, filepath.FromSlash(path)) }

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
		abs := w.abs(f.Path)
		if w.previous.trusted(f.Path, abs, w.hashes[i]) {
			continue
		}
		if fi, err := os.Lstat(abs); err == nil && fi.IsDir() {
			return fmt.Errorf("writing %s: a folder is in the way", f.Path)
		}
		if old, err := os.ReadFile(abs); err == nil && bytes.Equal(old, f.Body) {
			continue
		}
		w.changed[i] = true
	}
	return nil
}

// makeDirs creates the folders the changed files need, remembering which
// it created.
func (w *writer) makeDirs() error {
	for i, f := range w.files {
		if !w.changed[i] {
			continue
		}
		d := filepath.Dir(w.abs(f.Path))
		if err := mkdirAllTracked(d, &w.created); err != nil {
			w.removeCreatedDirs()
			return fmt.Errorf("writing %s: %w", d, err)
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
				tmp, err := writeTemp(w.abs(w.files[i].Path), w.files[i].Body)
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
	return writeAtomic(filepath.Join(w.dir, manifestName), next.encode())
}

// renames is phase two, which needs no space.
func (w *writer) renames() error {
	for i, f := range w.files {
		if w.temps[i] == "" {
			continue
		}
		if err := os.Rename(w.temps[i], w.abs(f.Path)); err != nil {
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
		if err := os.Remove(w.abs(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing stale %s: %w", p, err))
			final.Files[p] = Entry{Source: e.Source} // still ours, to remove next time
		}
	}
	for i, f := range w.files {
		e := Entry{Hash: w.hashes[i], Source: f.Source}
		if fi, err := os.Lstat(w.abs(f.Path)); err == nil {
			e.Size, e.MTime = fi.Size(), fi.ModTime().UnixNano()
		}
		final.Files[f.Path] = e
	}
	if err := writeIfChanged(filepath.Join(w.dir, manifestName), final.encode()); err != nil {
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
			os.Remove(t)
		}
	}
}

// removeCreatedDirs removes the folders this run created, deepest first
// and only if empty: a folder is only ours when this run created it.
func (w *writer) removeCreatedDirs() {
	for _, d := range slices.Backward(w.created) {
		os.Remove(d)
	}
}

// mkdirAllTracked is os.MkdirAll that appends the folders it creates to
// created, outermost first.
func mkdirAllTracked(d string, created *[]string) error {
	if fi, err := os.Stat(d); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("not a folder")
		}
		return nil
	}
	if parent := filepath.Dir(d); parent != d {
		if err := mkdirAllTracked(parent, created); err != nil {
			return err
		}
	}
	if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	} else if err == nil {
		*created = append(*created, d)
	}
	return nil
}

// writeIfChanged replaces path with data unless it already holds exactly
// data.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return writeAtomic(path, data)
}

// writeAtomic replaces path with data through a temporary file in the
// same folder (so the rename cannot cross file systems) and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file next to path and returns
// its name ("" if it was not created). On error the file is removed.
func writeTemp(path string, data []byte) (string, error) {
	// Hidden, so static servers and globs do not pick it up meanwhile;
	// named so the next run can recognise and remove it (tmpPattern).
	base := filepath.Base(path)
	if len(base) > 200 {
		base = base[:200]
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.%d.tmp", strings.TrimPrefix(base, "."), os.Getpid(), tmpSeq.Add(1)))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

var tmpSeq atomic.Uint64
