package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// lockName is the lock file Lock holds in an output folder.
const lockName = ".herald-lock"

// ErrLocked is returned by Lock when another process holds the folder.
var ErrLocked = errors.New("in use by another herald generate")

// Lock takes the output folder dir for this process, creating dir if
// needed, so two runs writing one folder cannot mix their files. It does
// not wait: a second run fails with ErrLocked (naming dir) rather than
// publishing what may be an older collection after the first. The lock
// is the operating system's (flock), so a killed run never leaves it
// held. Call the returned function to release it.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output folder %s: %w", dir, err)
	}
	// Opened through a root, and refused if a link, so a planted
	// .herald-lock cannot make Herald create or lock a file elsewhere.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", dir, err)
	}
	defer root.Close()
	if fi, err := root.Lstat(lockName); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("output folder %s: %s is a symbolic link; Herald does not write through links in its output folder", dir, lockName)
	}
	f, err := root.OpenFile(lockName, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", dir, err)
	}
	if err := flock(f); err != nil {
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("output folder %s: %w (lock %s)", dir, ErrLocked, lockName)
		}
		return nil, fmt.Errorf("output folder %s: locking: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
