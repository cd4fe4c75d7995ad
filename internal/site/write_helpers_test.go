package site

import "github.com/heraldfeed/herald/feed"

// WriteDir writes files under dir, creating it if needed, as one run of
// a Writer; see Write.
func WriteDir(dir string, files []feed.File) error { return Write(dir, files, nil) }

// Write writes files under dir as one run of a Writer, keeping the stale
// files keep returns true for.
func Write(dir string, files []feed.File, keep func(path, source string) bool) error {
	_, err := WriteCounted(dir, files, keep)
	return err
}

// WriteCounted is Write, also reporting what it changed. Every path is
// checked before anything is written.
func WriteCounted(dir string, files []feed.File, keep func(path, source string) bool) (Counts, error) {
	if err := checkPaths(files); err != nil {
		return Counts{}, err
	}
	w, err := openWriter(dir)
	if err != nil {
		return Counts{}, err
	}
	for _, f := range files {
		if err := w.checkLinks(f.Path, true); err != nil {
			w.Abort()
			return Counts{}, err
		}
	}
	if err := w.start(); err != nil {
		return Counts{}, err
	}
	for _, f := range files {
		if err := w.Add(f); err != nil {
			return Counts{}, err
		}
	}
	return w.Commit(keep)
}
