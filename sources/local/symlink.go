package local

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"unicode"
)

// insideRoot resolves the symbolic link at p and returns the path it
// leads to when that is inside the source's folder; the resolved path is
// what gets read, so a link swapped after the check cannot redirect the
// read. A link leading outside (passwd.txt → /etc/passwd) returns "" and
// a note (a warning, logged once) unless FollowSymlinks is set: folders
// filled from git or by other users must not publish whatever Herald can
// read. A link that resolves nowhere returns "" and an error, like any
// file that cannot be read.
func (f *Folder) insideRoot(p string) (target, note string, err error) {
	root, err := filepath.EvalSymlinks(f.cfg.Path)
	if err != nil {
		return "", "", fmt.Errorf("reading folder %s: %w", f.cfg.Path, err)
	}
	target, err = filepath.EvalSymlinks(p)
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", p, err)
	}
	if rel, err := filepath.Rel(root, target); err != nil || !filepath.IsLocal(rel) {
		return "", "skipping symbolic link that leads outside the folder (set follow_symlinks to allow)", nil
	}
	return target, "", nil
}

// vanished returns the collection's error when files listed by the walk
// were gone by the time they were read: the folder moved or changed under
// the collection, and publishing what was read would drop the rest. The
// error is one line, however many files vanished.
func (f *Folder) vanished(jobs []fileJob, errs []error) error {
	n, first := 0, ""
	for i, err := range errs {
		if errors.Is(err, fs.ErrNotExist) {
			if n == 0 {
				first = jobs[i].rel
			}
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("folder %s changed during the collection: %d listed files vanished (first %s)", f.cfg.Path, n, first)
}

// joinFewMax is how many per-file errors a collection's error lists.
const joinFewMax = 5

// joinFew joins errs like errors.Join, listing at most joinFewMax and a
// count of the rest, so a folder of broken files makes a readable error
// rather than hundreds of kilobytes of them in /healthz.
func joinFew(errs []error) error {
	if len(errs) <= joinFewMax {
		return errors.Join(errs...)
	}
	return fmt.Errorf("%w\n(and %d more files could not be read)", errors.Join(errs[:joinFewMax]...), len(errs)-joinFewMax)
}

// hasText reports whether s has a character one can see: a file of NUL or
// other control characters only would otherwise become an item with an
// empty title, which JSON Feed 1.1 does not allow.
func hasText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsGraphic(r) && !unicode.IsSpace(r) && r != unicode.ReplacementChar
	}) >= 0
}
