//go:build race

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// fullSize: never under the race detector (see norace_test.go).
func fullSize() bool { return false }

// childHerald builds the herald that tests run as child processes: under
// the race detector, a plain build of this package. The race-built test
// binary would run every child several times slower for reports no test
// reads (a child's race report goes to its own stderr and exit status,
// and most children are killed); the race detector still watches every
// in-process serve, generate and reload of these tests, and every package
// under its own tests.
func childHerald() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "herald-child-")
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "herald")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building the child herald: %v\n%s", err, out)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}
