package site

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// manifestName lists, in the output folder, the files the last run wrote
// with a hash of each, so the next run can remove those it no longer
// produces (a deleted article's page) and nothing else, and can tell an
// unchanged file with one stat instead of reading it back.
const manifestName = ".herald-files"

// WriteDir writes files under dir, creating it if needed. Each file is
// written to a temporary file in its destination folder and renamed into
// place, so a reader never sees a partial file; a file whose bytes are
// already there is left alone, so its modification time (and the
// Last-Modified a static web server derives from it) only moves when its
// content changes. Files written by an earlier WriteDir that are no longer
// produced are removed; no other file in dir is touched, and no path may
// leave dir.
func WriteDir(dir string, files []File) error {
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) || f.Path == manifestName {
			return fmt.Errorf("writing %s: path escapes the output folder", f.Path)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	previous := readManifest(dir)
	if err := makeDirs(dir, files); err != nil {
		return err
	}
	hashes, err := writeFiles(dir, files, previous)
	if err != nil {
		return err
	}
	// The manifest is rewritten only once every file is in place, so a
	// failed run leaves the previous one's, and the next run still knows
	// what it owns.
	var manifest strings.Builder
	current := make(map[string]bool, len(files))
	for i, f := range files {
		fmt.Fprintf(&manifest, "%s\t%s\n", f.Path, hashes[i])
		current[f.Path] = true
	}
	if err := writeIfChanged(filepath.Join(dir, manifestName), []byte(manifest.String())); err != nil {
		return err
	}
	return removeStale(dir, previous, current)
}

// makeDirs creates each folder files need once, before the parallel
// writes.
func makeDirs(dir string, files []File) error {
	dirs := map[string]bool{}
	for _, f := range files {
		d := filepath.Dir(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if !dirs[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("writing %s: %w", d, err)
			}
			dirs[d] = true
		}
	}
	return nil
}

// writeFiles writes files under dir in parallel (the work is system calls,
// and a folder of thousands of article pages is common), skipping those
// whose hash in previous matches and whose size on disk is right. It
// returns each file's hash.
func writeFiles(dir string, files []File, previous map[string]string) ([]string, error) {
	hashes := make([]string, len(files))
	errs := make([]error, len(files))
	workers := min(2, len(files))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(files); i += workers {
				sum := sha256.Sum256(files[i].Body)
				hashes[i] = hex.EncodeToString(sum[:16])
				path := filepath.Join(dir, filepath.FromSlash(files[i].Path))
				if previous[files[i].Path] == hashes[i] && sameSize(path, len(files[i].Body)) {
					continue
				}
				errs[i] = writeIfChanged(path, files[i].Body)
			}
		})
	}
	wg.Wait()
	return hashes, errors.Join(errs...)
}

// removeStale removes the files the previous run wrote that this one did
// not.
func removeStale(dir string, previous map[string]string, current map[string]bool) error {
	var errs []error
	for p := range previous {
		if current[p] || !filepath.IsLocal(filepath.FromSlash(p)) || p == manifestName {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing stale %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// readManifest returns the paths the previous run wrote, each with its
// hash ("" when unknown).
func readManifest(dir string) map[string]string {
	f, err := os.Open(filepath.Join(dir, manifestName))
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		path, hash, _ := strings.Cut(strings.TrimSpace(sc.Text()), "\t")
		if path != "" {
			out[path] = hash
		}
	}
	return out
}

func sameSize(path string, n int) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == int64(n)
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
	// Hidden, so static servers and globs do not pick it up meanwhile.
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.%d.tmp", filepath.Base(path), os.Getpid(), tmpSeq.Add(1)))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

var tmpSeq atomic.Uint64
