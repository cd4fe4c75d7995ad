package publish

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// manifestName lists, in the output folder, the files the last run wrote,
// so the next run can remove those it no longer produces (a deleted
// article's page) and nothing else.
const manifestName = ".herald-files"

// WriteDir writes files under dir, creating it if needed. Each file is
// written to a temporary file in its destination folder and renamed into
// place, so a reader never sees a partial file. Files written by an
// earlier WriteDir that are no longer produced are removed; no other file
// in dir is touched, and no path may leave dir.
func WriteDir(dir string, files []File) error {
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return fmt.Errorf("writing %s: path escapes the output folder", f.Path)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	previous := readManifest(dir)
	current := make(map[string]bool, len(files))
	for _, f := range files {
		current[f.Path] = true
		if err := writeAtomic(filepath.Join(dir, filepath.FromSlash(f.Path)), f.Body); err != nil {
			return err
		}
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Path)
	}
	if err := writeAtomic(filepath.Join(dir, manifestName), []byte(strings.Join(names, "\n")+"\n")); err != nil {
		return err
	}
	var errs []error
	for _, p := range previous {
		if current[p] || !filepath.IsLocal(filepath.FromSlash(p)) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing stale %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func readManifest(dir string) []string {
	f, err := os.Open(filepath.Join(dir, manifestName))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// writeAtomic replaces path with data through a temporary file in the
// same folder and a rename.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".herald-*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
