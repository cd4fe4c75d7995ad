// Package watch reports changes in a folder tree, through the operating
// system's notifications (fsnotify: inotify, kqueue, ReadDirectoryChangesW).
// It imports nothing of ours.
package watch

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch calls changed after files under root are created, written,
// removed or renamed, once per burst of changes (quiet for debounce),
// until ctx is done. Hidden files and folders (names starting with ".")
// are ignored, as the files source ignores them; folders created later
// are watched too. It returns at once with an error when root cannot be
// watched (it does not exist, or the system's watch limit is reached);
// otherwise wait blocks until the watching goroutine has stopped after
// ctx is done.
func Watch(ctx context.Context, root string, debounce time.Duration, changed func(), log *slog.Logger) (wait func(), err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := addTree(w, root); err != nil {
		w.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if hidden(root, ev.Name) {
					continue
				}
				if ev.Has(fsnotify.Create) {
					if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
						if err := addTree(w, ev.Name); err != nil {
							log.Warn("cannot watch a new folder; its files are collected on schedule", "path", ev.Name, "error", err)
						}
					}
				}
				timer.Reset(debounce)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				// An overflow loses events: collect to be sure.
				log.Warn("folder watch error", "path", root, "error", err)
				timer.Reset(debounce)
			case <-timer.C:
				changed()
			}
		}
	}()
	return func() { <-done }, nil
}

// addTree watches dir and every folder under it that is not hidden.
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // a subfolder that vanished or is unreadable: the collection reports it
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dir {
				return nil
			}
			return err
		}
		return nil
	})
}

// hidden reports whether p, under root, is or is inside a hidden file or
// folder.
func hidden(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return true
		}
	}
	return false
}
