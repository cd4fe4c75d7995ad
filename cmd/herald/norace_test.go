//go:build !race

package main

import (
	"os"
	"testing"
)

// fullSize reports whether the tests that scale (the crash matrix, serve
// beside generate, failovers with pings) run at full size: only when
// HERALD_TEST_FULL is set and not under -short. .ci/run has a step for
// them; a plain go test ./... (or one with -race, race_test.go) runs
// them at a fifth to a tenth of it, every assertion the same.
func fullSize() bool { return os.Getenv("HERALD_TEST_FULL") != "" && !testing.Short() }

// childHerald is the herald tests run as child processes: this test
// binary, which runs main when HERALD_RUN_MAIN=1 (TestMain).
func childHerald() (path string, cleanup func(), err error) {
	return os.Args[0], func() {}, nil
}
