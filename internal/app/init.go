package app

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// starter is what `herald init` writes: a commented configuration and an
// articles folder with one example, so that serve and generate work at once.
//
//go:embed starter
var starter embed.FS

// Init is herald init: it writes the starter configuration at cfgPath and its articles
// folder beside it. It overwrites nothing: an existing file is an error
// naming it, and nothing is written then (a file init itself wrote, with
// its bytes unchanged, is kept: a second init finishes an interrupted one).
func Init(cfgPath string, stdout io.Writer) error {
	dir := filepath.Dir(cfgPath)
	targets := map[string]string{"starter/config.yaml": cfgPath}
	err := fs.WalkDir(starter, "starter/articles", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel("starter", p)
			targets[p] = filepath.Join(dir, rel)
		}
		return err
	})
	if err != nil {
		return err
	}
	// An existing file is refused unless it holds exactly what init
	// writes there: an init interrupted half-way is finished by the next.
	for from, to := range targets {
		b, err := starter.ReadFile(from)
		if err != nil {
			return err
		}
		if have, err := os.ReadFile(to); err == nil && bytes.Equal(have, b) {
			delete(targets, from)
		} else if _, err := os.Lstat(to); err == nil {
			return UsageError{Msg: fmt.Sprintf("init: %s exists: herald init writes only where there is nothing (choose another place with --config DIR/config.yaml)", to), Brief: true}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("init: %w", err)
		}
	}
	if len(targets) == 0 {
		fmt.Fprintf(stdout, "%s and its articles already hold the starter: nothing to write\n", cfgPath)
	}
	for from, to := range targets {
		b, err := starter.ReadFile(from)
		if err != nil {
			return err
		}
		if err := createAtomic(to, b); err != nil {
			return fmt.Errorf("init: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", to)
	}
	fmt.Fprintf(stdout, "\nNext:\n  herald serve --config %s      then open http://127.0.0.1:8080/\n  herald generate --config %s --out public\n", cfgPath, cfgPath)
	return nil
}

// createAtomic creates path holding data, whole or not at all: the bytes
// go to a temporary file beside it, which is then linked in place. The
// link fails if path appeared meanwhile, so nothing is overwritten.
func createAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".herald-init-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
