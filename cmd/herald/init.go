package main

import (
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

// initSite writes the starter configuration at cfgPath and its articles
// folder beside it. It overwrites nothing: an existing file is an error
// naming it, and nothing is written then.
func initSite(cfgPath string, stdout io.Writer) error {
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
	for _, to := range targets {
		if _, err := os.Lstat(to); err == nil {
			return usageError{msg: fmt.Sprintf("init: %s exists: herald init writes only where there is nothing (choose another place with --config DIR/config.yaml)", to), brief: true}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("init: %w", err)
		}
	}
	for from, to := range targets {
		b, err := starter.ReadFile(from)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return fmt.Errorf("init: %w", err)
		}
		// O_EXCL: a file that appeared since the check is not overwritten.
		f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", to)
	}
	fmt.Fprintf(stdout, "\nNext:\n  herald serve --config %s      then open http://127.0.0.1:8080/\n  herald generate --config %s --out public\n", cfgPath, cfgPath)
	return nil
}
