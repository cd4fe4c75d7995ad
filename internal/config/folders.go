package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// CheckFolders reports, each placed at its source's path in the file, the
// files sources whose folder does not exist, is not a folder or cannot be
// read. It is not part of Validate: serve and generate start with a
// folder that does not exist yet (that source alone fails until it
// appears), while herald check is asked whether the config will work.
func (c *Config) CheckFolders() error {
	var errs []error
	for i, s := range c.Sources {
		if s.Type != TypeFiles || s.Path == "" {
			continue
		}
		if msg := folderProblem(s.Path); msg != "" {
			errs = append(errs, c.errorFor(fmt.Sprintf("sources[%d].path", i), "%s", msg))
		}
	}
	return c.joinErrors(errs)
}

func folderProblem(path string) string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("folder %s does not exist", path)
	case err != nil:
		return fmt.Sprintf("folder %s cannot be read: %v", path, errors.Unwrap(err))
	case !fi.IsDir():
		return fmt.Sprintf("%s is not a folder", path)
	}
	f, err := os.Open(path)
	if err == nil {
		_, err = f.ReadDir(1)
		f.Close()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Sprintf("folder %s cannot be read: %v", path, err)
	}
	return ""
}
