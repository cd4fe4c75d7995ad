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
	var n Counts
	err := write(dir, files, keep, &n)
	return n, err
}

func write(dir string, files []File, keep func(path, source string) bool, n *Counts) error {
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) || f.Path == manifestName || f.Path == lockName {
			return fmt.Errorf("writing %s: path escapes the output folder", f.Path)
		}
		if strings.ContainsAny(f.Path, "\t\n\r") || strings.ContainsAny(f.Source, "\t\n\r") {
			return fmt.Errorf("writing %q: control character in a path or source name", f.Path)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	previous := ReadManifest(dir)
	all := make([]string, 0, len(previous.Files)+len(files))
	for p := range previous.Files {
		all = append(all, p)
	}
	for _, f := range files {
		all = append(all, f.Path)
	}
	removeStaleTemps(dir, all)

	// What changed, and the folders to create for it.
	hashes := make([]string, len(files))
	changed := make([]bool, len(files))
	current := make(map[string]bool, len(files))
	var created []string
	for i, f := range files {
		current[f.Path] = true
		sum := sha256.Sum256(f.Body)
		hashes[i] = hex.EncodeToString(sum[:16])
		abs := filepath.Join(dir, filepath.FromSlash(f.Path))
		if previous.trusted(f.Path, abs, hashes[i]) {
			continue
		}
		if fi, err := os.Lstat(abs); err == nil && fi.IsDir() {
			return fmt.Errorf("writing %s: a folder is in the way", f.Path)
		}
		if old, err := os.ReadFile(abs); err == nil && bytes.Equal(old, f.Body) {
			continue
		}
		changed[i] = true
		n.Written++
	}
	n.Unchanged = len(files) - n.Written
	undo := func() {
		// Deepest first, and only if empty: a folder is only ours when
		// this run created it.
		for _, d := range slices.Backward(created) {
			os.Remove(d)
		}
	}
	for i, f := range files {
		if !changed[i] {
			continue
		}
		d := filepath.Dir(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err := mkdirAllTracked(d, &created); err != nil {
			undo()
			return fmt.Errorf("writing %s: %w", d, err)
		}
	}

	// Phase one: temporary files, in parallel (the work is system calls),
	// stopping at the first error.
	temps := make([]string, len(files))
	var failed atomic.Bool
	var firstErr error
	var errOnce sync.Once
	workers := min(2, len(files))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(files) && !failed.Load(); i += workers {
				if !changed[i] {
					continue
				}
				tmp, err := writeTemp(filepath.Join(dir, filepath.FromSlash(files[i].Path)), files[i].Body)
				temps[i] = tmp
				if err != nil {
					failed.Store(true)
					// Name the file, not its temporary.
					var pe *fs.PathError
					if errors.As(err, &pe) {
						err = pe.Err
					}
					errOnce.Do(func() { firstErr = fmt.Errorf("writing %s: %w", files[i].Path, err) })
				}
			}
		})
	}
	wg.Wait()
	removeTemps := func() {
		for _, t := range temps {
			if t != "" {
				os.Remove(t)
			}
		}
	}
	if firstErr != nil {
		removeTemps()
		undo()
		return firstErr
	}

	// The journal: every path this run may leave behind, before the first
	// rename.
	next := Manifest{Files: make(map[string]Entry, len(all))}
	for p, e := range previous.Files {
		next.Files[p] = Entry{Source: e.Source}
	}
	for _, f := range files {
		next.Files[f.Path] = Entry{Source: f.Source}
	}
	if slices.Contains(changed, true) || !previous.Complete {
		if err := writeAtomic(filepath.Join(dir, manifestName), next.encode()); err != nil {
			removeTemps()
			undo()
			return err
		}
	}

	// Phase two: renames, which need no space.
	for i, f := range files {
		if temps[i] == "" {
			continue
		}
		if err := os.Rename(temps[i], filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
			removeTemps()
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		temps[i] = ""
	}

	var errs []error
	final := Manifest{Complete: true, Files: make(map[string]Entry, len(files))}
	for p, e := range previous.Files {
		if current[p] {
			continue
		}
		if keep != nil && keep(p, e.Source) {
			if !previous.Complete {
				e = Entry{Source: e.Source} // nothing to trust but the path
			}
			final.Files[p] = e
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing stale %s: %w", p, err))
			final.Files[p] = Entry{Source: e.Source} // still ours, to remove next time
		} else if err == nil {
			n.Removed++
		}
	}
	for i, f := range files {
		e := Entry{Hash: hashes[i], Source: f.Source}
		if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil {
			e.Size, e.MTime = fi.Size(), fi.ModTime().UnixNano()
		}
		final.Files[f.Path] = e
	}
	if err := writeIfChanged(filepath.Join(dir, manifestName), final.encode()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
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
